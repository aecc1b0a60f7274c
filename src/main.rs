use std::process::ExitCode;

fn main() -> ExitCode {
    let system = linkfile::System::from_process();
    let code = linkfile::run(
        std::env::args_os(),
        &system,
        &mut std::io::stdout().lock(),
        &mut std::io::stderr().lock(),
    );
    ExitCode::from(code)
}
