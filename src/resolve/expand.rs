//! Expansion of manifest strings: `~`, `${VAR}`, `${VAR:-default}`, `{var}` from `[vars]` (vars
//! may use other vars; a cycle is an error), and the escapes `$$`, `{{`, `}}`. Errors point at
//! the offending part of the string where the TOML text allows.

use std::ffi::{OsStr, OsString};
use std::ops::Range;

use toml::Spanned;

use std::path::Path;

use super::{Context, Resolver};

impl Resolver<'_, '_> {
    /// Expands one manifest string; errors point inside it where possible.
    pub(super) fn expand(&mut self, v: &Spanned<String>) -> Option<OsString> {
        let span = v.span();
        let raw = v.get_ref();
        match self.expand_str(raw) {
            Ok(s) => Some(s),
            Err(e) if e.reported => None,
            Err(e) if e.too_deep && self.too_deep_reported => None,
            Err(ExpandError {
                at,
                message,
                hint,
                too_deep,
                ..
            }) => {
                self.too_deep_reported |= too_deep;
                // Offsets inside the value are exact only when the TOML string has no escapes.
                let quoted = &self.cx.text.get(span.clone()).unwrap_or("");
                let inner_base = (quoted.len() == raw.len() + 2
                    && &quoted[1..quoted.len() - 1] == raw)
                    .then_some(span.start + 1);
                let sp = match (inner_base, at) {
                    (Some(base), Some(r)) => base + r.start..base + r.end,
                    _ => span,
                };
                self.error(sp, message, hint);
                None
            }
        }
    }

    /// The home and the environment's values are joined as they are (an `OsString`): a home
    /// that is not UTF-8 is `~` exactly.
    fn expand_str(&mut self, s: &str) -> Result<OsString, ExpandError> {
        // Room for the home too: one allocation for the common `~/...`.
        let mut out = OsString::with_capacity(s.len() + self.cx.home.as_os_str().len());
        let b = s.as_bytes();
        let mut i = self.tilde(s, &mut out)?;
        while i < b.len() {
            i = match (b[i], b.get(i + 1)) {
                (b'$', Some(b'$')) => push(&mut out, "$", i + 2),
                (b'$', Some(b'{')) => self.env_reference(s, i, &mut out)?,
                (b'$', _) => {
                    return Err(ExpandError::new(
                        Some(i..i + 1),
                        "a `$` must start `${NAME}`".into(),
                        Some(
                            "write ${NAME} for an environment variable, or $$ for a literal $"
                                .into(),
                        ),
                    ));
                }
                (b'{', Some(b'{')) => push(&mut out, "{", i + 2),
                (b'}', Some(b'}')) => push(&mut out, "}", i + 2),
                (b'{', _) => self.var_reference(s, i, &mut out)?,
                _ => {
                    // ASCII bytes never occur inside a multi-byte character: a byte search.
                    let next = b[i..]
                        .iter()
                        .position(|c| matches!(c, b'$' | b'{' | b'}'))
                        .map_or(s.len(), |k| i + k.max(1));
                    push(&mut out, &s[i..next], next)
                }
            };
        }
        Ok(out)
    }

    /// A leading `~` (alone, or before `/`, or `\` on Windows) is the home: pushed onto `out`.
    /// Returns where the rest of `s` starts.
    fn tilde(&self, s: &str, out: &mut OsString) -> Result<usize, ExpandError> {
        if s.starts_with('~') && s.len() > 1 && !s[1..].starts_with(['/', '\\']) {
            let user = s[1..].split(['/', '\\']).next().unwrap_or("");
            return Err(ExpandError::new(
                Some(0..1 + user.len()),
                format!("`~{user}` (another user's home folder) is not supported"),
                Some("write ~/... for your home folder, or an absolute path".into()),
            ));
        }
        let windows = self.cx.os.is_windows();
        if s == "~" || s.starts_with("~/") || (windows && s.starts_with("~\\")) {
            out.push(self.cx.home.as_os_str());
            return Ok(1);
        }
        Ok(0)
    }

    /// `${NAME}` or `${NAME:-default}` at `i` of `s`, pushed onto `out`. Returns where the rest
    /// of `s` starts.
    fn env_reference(
        &mut self,
        s: &str,
        i: usize,
        out: &mut OsString,
    ) -> Result<usize, ExpandError> {
        let (close, name, default) = env_reference_parts(s, i)?;
        match (env_value(self.cx, name), default) {
            (Some(v), _) => out.push(&v),
            (None, Some(d)) => {
                if self.depth >= MAX_NESTING {
                    return Err(ExpandError::too_deep(
                        Some(i..close + 1),
                        format!("defaults nest more than {MAX_NESTING} deep"),
                    ));
                }
                self.depth += 1;
                let d = self.expand_str(d);
                self.depth -= 1;
                let d = d.map_err(|mut e| {
                    let off = i + 2 + name.len() + 2;
                    e.at = e.at.map(|r| r.start + off..r.end + off);
                    e
                })?;
                out.push(&d);
            }
            (None, None) => {
                let mut e = ExpandError::new(
                    Some(i..close + 1),
                    format!("environment variable `{name}` is not set"),
                    Some(format!("set {name}, or give a default: ${{{name}:-...}}")),
                );
                e.unset_env = true;
                return Err(e);
            }
        }
        Ok(close + 1)
    }

    /// `{name}` at `i` of `s`, a `[vars]` entry, pushed onto `out`. Returns where the rest of
    /// `s` starts.
    fn var_reference(
        &mut self,
        s: &str,
        i: usize,
        out: &mut OsString,
    ) -> Result<usize, ExpandError> {
        let close = s[i..].find('}').map(|k| i + k).ok_or_else(|| {
            ExpandError::new(
                Some(i..s.len()),
                "unclosed `{`".into(),
                Some("write {name} for a [vars] entry, or {{ for a literal {".into()),
            )
        })?;
        let name = &s[i + 1..close];
        let value = self.var(name).map_err(|mut e| {
            e.at = e.at.or(Some(i..close + 1));
            e
        })?;
        out.push(&value);
        Ok(close + 1)
    }

    fn var(&mut self, name: &str) -> Result<OsString, ExpandError> {
        if let Some(v) = self.cache.get(name) {
            return Ok(v.clone());
        }
        if name.is_empty() {
            return Err(ExpandError::new(
                None,
                "`{}` has no variable name".into(),
                Some("write {name} for a [vars] entry, or {{}} for literal braces".into()),
            ));
        }
        if self.failed.contains(name) {
            return Err(ExpandError::reported());
        }
        let vars = self.vars;
        let Some((_, value)) = vars.iter().find(|(k, _)| k.get_ref() == name) else {
            return Err(self.undefined(name));
        };
        if let Some(pos) = self.stack.iter().position(|n| n == name) {
            return Err(self.cycle(name, pos));
        }
        if self.depth >= MAX_NESTING {
            let mut chain = self.stack.clone();
            chain.push(name.to_string());
            return Err(ExpandError::too_deep(
                None,
                format!(
                    "variables nest more than {MAX_NESTING} deep: {}",
                    elided_chain(&chain)
                ),
            ));
        }
        self.stack.push(name.to_string());
        self.depth += 1;
        let result = self.definition(name, value);
        self.stack.pop();
        self.depth -= 1;
        match result? {
            Some(v) => {
                self.cache.insert(name.to_string(), v.clone());
                Ok(v)
            }
            None => {
                self.failed.insert(name.to_string());
                Err(ExpandError::reported())
            }
        }
    }

    /// The var `name`'s value, `value` expanded: `None` when an error inside it was reported
    /// at the var's definition, once; an unset environment variable while expanding the vars
    /// no link here uses is passed on (noted, so that a var using this one has no value here
    /// either).
    fn definition(
        &mut self,
        name: &str,
        value: &Spanned<String>,
    ) -> Result<Option<OsString>, ExpandError> {
        if !self.lenient {
            return Ok(self.expand(value));
        }
        match self.expand_str(value.get_ref()) {
            Ok(v) => Ok(Some(v)),
            Err(e) if e.unset_env => {
                self.unset_here.insert(name.to_string(), e.message.clone());
                Err(e)
            }
            Err(e) if e.reported => Ok(None),
            // Anything else is reported where it is, as when a link uses the var.
            Err(_) => Ok(self.expand(value)),
        }
    }

    /// `{name}` names no `[vars]` entry.
    fn undefined(&self, name: &str) -> ExpandError {
        let known: Vec<String> = self
            .vars
            .keys()
            .map(|k| k.get_ref())
            .filter(|k| !self.stack.contains(k))
            .map(|k| format!("`{k}`"))
            .collect();
        ExpandError::new(
            None,
            format!("undefined variable `{{{name}}}`"),
            Some(if known.is_empty() {
                format!("define it under [vars]: {name} = \"...\"")
            } else {
                format!("define it under [vars], or use one of {}", known.join(", "))
            }),
        )
    }

    /// `name` is being expanded already, at `pos` of the stack: the vars refer to each other.
    fn cycle(&self, name: &str, pos: usize) -> ExpandError {
        let message = if pos + 1 == self.stack.len() {
            format!("variable `{name}` refers to itself")
        } else {
            let mut cycle = self.stack[pos..].to_vec();
            cycle.push(name.to_string());
            format!(
                "variables refer to each other in a cycle: {}",
                cycle.join(" -> ")
            )
        };
        ExpandError::new(
            None,
            message,
            Some("give one of them a value that does not refer back".into()),
        )
    }

    /// Expands every var, so that a broken one is reported even when no link uses it.
    pub(super) fn expand_all_vars(&mut self) {
        let names: Vec<String> = self.vars.keys().map(|k| k.get_ref().clone()).collect();
        for name in names {
            let _ = self.var(&name);
        }
    }
}

struct ExpandError {
    /// Byte range inside the string being expanded, when known.
    at: Option<Range<usize>>,
    message: String,
    hint: Option<String>,
    /// Already reported where it happened (inside a var's definition).
    reported: bool,
    /// An environment variable that is not set (and has no default).
    unset_env: bool,
    /// Vars or defaults nested beyond [`MAX_NESTING`].
    too_deep: bool,
}

impl ExpandError {
    fn new(at: Option<Range<usize>>, message: String, hint: Option<String>) -> Self {
        ExpandError {
            at,
            message,
            hint,
            reported: false,
            unset_env: false,
            too_deep: false,
        }
    }

    fn too_deep(at: Option<Range<usize>>, message: String) -> Self {
        let mut e = ExpandError::new(
            at,
            message,
            Some(format!(
                "vars and ${{VAR:-default}}s are followed {MAX_NESTING} deep at most: give one on the way a plain value"
            )),
        );
        e.too_deep = true;
        e
    }

    fn reported() -> Self {
        ExpandError::new(None, String::new(), None).mark_reported()
    }

    fn mark_reported(mut self) -> Self {
        self.reported = true;
        self
    }
}

/// How deep vars and `${VAR:-default}`s may nest, one inside the other: deeper expansion
/// would be recursion without bound (the stack overflowed at ~6,000 chained vars).
pub(super) const MAX_NESTING: usize = 64;

/// `a -> b -> c`, the middle left out when long.
fn elided_chain(chain: &[String]) -> String {
    let chain: Vec<String> = chain
        .iter()
        .map(|n| crate::show::shorten(&crate::show::text(n)))
        .collect();
    if chain.len() <= 8 {
        return chain.join(" -> ");
    }
    let (head, tail) = (&chain[..4], &chain[chain.len() - 3..]);
    format!(
        "{} -> … ({} more) … -> {}",
        head.join(" -> "),
        chain.len() - 7,
        tail.join(" -> ")
    )
}

/// Pushes `text` onto `out`; returns `next`, where the rest starts.
fn push(out: &mut OsString, text: &str, next: usize) -> usize {
    out.push(text);
    next
}

/// The end (its `}`), name and default of the `${...}` at `i` of `s`.
fn env_reference_parts(s: &str, i: usize) -> Result<(usize, &str, Option<&str>), ExpandError> {
    let close = matching_brace(s, i + 1).ok_or_else(|| {
        ExpandError::new(
            Some(i..s.len()),
            "unclosed `${`".into(),
            Some("write ${NAME} or ${NAME:-default}".into()),
        )
    })?;
    let body = &s[i + 2..close];
    let (name, default) = match body.find(":-") {
        Some(k) => (&body[..k], Some(&body[k + 2..])),
        None => (body, None),
    };
    if name.is_empty() {
        return Err(ExpandError::new(
            Some(i..close + 1),
            "`${}` has no variable name".into(),
            Some("write ${NAME} or ${NAME:-default}".into()),
        ));
    }
    if !is_identifier(name) {
        return Err(ExpandError::new(
            Some(i..close + 1),
            format!("`{name}` is not a valid environment variable name"),
            Some("write ${NAME} or ${NAME:-default}, NAME made of letters, digits and _".into()),
        ));
    }
    Ok((close, name, default))
}

fn matching_brace(s: &str, open: usize) -> Option<usize> {
    let mut depth = 0;
    for (k, c) in s[open..].char_indices() {
        match c {
            '{' => depth += 1,
            '}' => {
                depth -= 1;
                if depth == 0 {
                    return Some(open + k);
                }
            }
            _ => {}
        }
    }
    None
}

fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// The XDG base-directory variables: under a given home they count only when inside it.
const XDG_HOMES: [&str; 4] = [
    "XDG_CONFIG_HOME",
    "XDG_DATA_HOME",
    "XDG_STATE_HOME",
    "XDG_CACHE_HOME",
];

/// An environment variable's value as the manifest sees it: empty counts as unset, and under a
/// given home (`cx.isolated`) the home variables are that home and an XDG base-directory
/// variable outside it counts as unset, so that nothing leads out into the real home.
pub(super) fn env_var(cx: &Context, name: &str) -> Option<String> {
    if cx.isolated && (name == "HOME" || name == crate::platform::HOME_VAR) {
        return Some(cx.home.to_string_lossy().into_owned());
    }
    let value = (cx.env)(name).filter(|v| !v.is_empty())?;
    if cx.isolated && XDG_HOMES.contains(&name) {
        let path = Path::new(&value);
        let inside = path.is_absolute()
            && crate::paths::within(&crate::paths::normalize(path), cx.home, cx.os);
        return inside.then_some(value);
    }
    Some(value)
}

/// An environment variable's value for expansion: as [`env_var`], but the home given with
/// `--home` as it is, not as text.
fn env_value(cx: &Context, name: &str) -> Option<OsString> {
    if cx.isolated && (name == "HOME" || name == crate::platform::HOME_VAR) {
        return Some(cx.home.as_os_str().to_os_string());
    }
    env_var(cx, name).map(OsString::from)
}

/// Whether `s` holds a NUL.
pub(super) fn has_nul(s: &OsStr) -> bool {
    s.as_encoded_bytes().contains(&0)
}
