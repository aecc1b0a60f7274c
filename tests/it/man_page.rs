//! The committed manual page, `man/linkfile.1`, is what `linkfile man` prints.
//! `LINKFILE_UPDATE_MAN=1 cargo test man_page` rewrites it.

use std::path::Path;

use crate::harness::World;

#[test]
fn the_committed_man_page_is_fresh() {
    let r = World::new().run(&["man"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let generated = r.raw_stdout;
    assert!(generated.contains(".TH linkfile 1"), "{generated}");
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("man/linkfile.1");
    if std::env::var_os("LINKFILE_UPDATE_MAN").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &generated).unwrap();
    }
    let committed = std::fs::read_to_string(&path)
        .unwrap_or_default()
        .replace("\r\n", "\n");
    assert!(
        committed == generated,
        "man/linkfile.1 is stale: run `LINKFILE_UPDATE_MAN=1 cargo test man_page` and commit it"
    );
}
