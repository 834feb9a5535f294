//! The layers of `src/` hold: imports point down, never in a circle, and the operating
//! system and the process exit stay where `src/lib.rs` says they are.
//!
//! `LAYERS` below is the picture in `src/lib.rs`'s doc, written once, as data: a module
//! may import from the layers after its own, never from its own layer's other modules or
//! from one before it. Inside one top-level module, files may import each other, but
//! never in a circle. Two kinds of import are left out of the circles: test code (a test
//! module sees its whole folder, as a fixture like `dns/lookup/fake.rs` must), and a file
//! reading what an enclosing folder's `mod.rs` declares (`super::Plan` in `trace/io.rs`):
//! the `mod.rs` is the folder's face, which declares its files and the types they share,
//! so its files taking those types is the module's shape, not a knot. What is a circle is
//! two files beside each other, or a file and something below a sibling, each taking
//! from the other (`ping/atlas.rs` and `ping/report.rs`).
//!
//! Sources are read as Rust tokens with `proc-macro2`'s lexer (rather than by hand:
//! comments, strings, raw strings and char literals are what a hand-written scan gets
//! wrong), so a path in a comment or a message never counts, and one in an attribute
//! (clap's `default_value = crate::...`) or a macro body does. A reference is any path
//! that starts with `crate::`, `super::`, `self::` or a child module's name; it counts
//! for the file that holds the module (or item) it names.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::str::FromStr;
use std::sync::OnceLock;

use proc_macro2::{Delimiter, Spacing, TokenStream, TokenTree};

/// The layers, top to bottom, as `src/lib.rs` describes them. A module may import only
/// from the layers after its own.
const LAYERS: &[(&str, &[&str])] = &[
    ("the entry point", &["main"]),
    ("the dispatcher", &["app"]),
    ("the combinators", &["check", "exporter"]),
    (
        "the commands",
        &["resolve", "connect", "ping", "trace", "serve"],
    ),
    ("the command line", &["cli"]),
    (
        "the shared pieces",
        &["plot", "live", "dns", "target", "chat", "web"],
    ),
    ("the printers", &["output"]),
    ("the value readers", &["duration", "lines"]),
    ("the operating system", &["net"]),
    ("the wire formats", &["packet"]),
    ("the failure type", &["error"]),
    ("the address families", &["family"]),
];

/// The commands `cli` must not import (rule (e), named on its own for a clearer message).
const COMMANDS: &[&str] = &[
    "resolve", "connect", "ping", "trace", "serve", "check", "exporter",
];

/// One path from a file to a module of the crate (or to an outside crate).
#[derive(Debug, Clone)]
struct Reference {
    line: usize,
    /// The path as written, for the message.
    written: String,
    /// From the crate root, when it names this crate; `None` for another crate's path.
    target: Option<Vec<String>>,
    /// The path's segments as written (outside crates' paths are checked on these).
    segments: Vec<String>,
    /// Written in test code (`#[cfg(test)]`), which the circle rule leaves out.
    test: bool,
}

/// A source file: where it is, which module it is, what it references.
#[derive(Debug)]
struct File {
    path: String,
    module: Vec<String>,
    references: Vec<Reference>,
}

/// What the four rules found.
#[derive(Debug, Default)]
struct Findings {
    /// (a) and the modules in no layer.
    layers: Vec<String>,
    /// (b)
    circles: Vec<String>,
    /// (c)
    libc: Vec<String>,
    /// (d)
    exits: Vec<String>,
    /// (e)
    cli: Vec<String>,
}

/// The module a file under `src/` is: `trace/mod.rs` is `trace`, `trace/io.rs` is
/// `trace::io`, `lib.rs` the root, `main.rs` (another crate) `main`.
fn module_of(path: &str) -> Vec<String> {
    let rel = path.strip_prefix("src/").unwrap_or(path);
    let rel = rel.strip_suffix(".rs").unwrap_or(rel);
    let mut parts: Vec<String> = rel.split('/').map(str::to_string).collect();
    if parts.last().is_some_and(|p| p == "mod" || p == "lib") {
        parts.pop();
    }
    parts
}

fn is_path_sep(tokens: &[TokenTree], i: usize) -> bool {
    matches!(
        (tokens.get(i), tokens.get(i + 1)),
        (Some(TokenTree::Punct(a)), Some(TokenTree::Punct(b)))
            if a.as_char() == ':' && a.spacing() == Spacing::Joint && b.as_char() == ':'
    )
}

fn ident(tree: Option<&TokenTree>) -> Option<String> {
    match tree {
        Some(TokenTree::Ident(i)) => Some(i.to_string()),
        _ => None,
    }
}

/// The child modules declared at this level (`mod x;` or `mod x { ... }`).
fn children(tokens: &[TokenTree]) -> BTreeSet<String> {
    tokens
        .windows(2)
        .filter(|w| ident(Some(&w[0])).as_deref() == Some("mod"))
        .filter_map(|w| ident(Some(&w[1])))
        .collect()
}

/// Where a path written in `module` (whose children are `kids`) leads.
fn resolve(
    module: &[String],
    kids: &BTreeSet<String>,
    segments: &[String],
    root: &str,
) -> Option<Vec<String>> {
    let (mut base, rest): (Vec<String>, &[String]) = match segments[0].as_str() {
        "crate" => (Vec::new(), &segments[1..]),
        r if r == root => (Vec::new(), &segments[1..]),
        "self" => (module.to_vec(), &segments[1..]),
        "super" => (
            module[..module.len().saturating_sub(1)].to_vec(),
            &segments[1..],
        ),
        child if kids.contains(child) => (module.to_vec(), segments),
        _ => return None,
    };
    let mut rest = rest;
    while rest.first().is_some_and(|s| s == "super") {
        base.pop();
        rest = &rest[1..];
    }
    base.extend(rest.iter().filter(|s| *s != "self").cloned());
    Some(base)
}

/// Reads one path starting at `tokens[i]` (an identifier followed by `::`), with `prefix`
/// already read (inside a `use` group); returns the index after it.
fn read_path(
    tokens: &[TokenTree],
    mut i: usize,
    prefix: Vec<String>,
    line: usize,
    paths: &mut Vec<(usize, Vec<String>)>,
) -> usize {
    let mut segments = prefix;
    loop {
        match tokens.get(i) {
            Some(TokenTree::Ident(id)) if id != "as" => {
                segments.push(id.to_string());
                i += 1;
            }
            Some(TokenTree::Punct(p)) if p.as_char() == '*' => {
                i += 1;
                break;
            }
            Some(TokenTree::Group(g))
                if g.delimiter() == Delimiter::Brace && !segments.is_empty() =>
            {
                // A `use` group: each comma-separated tree continues this prefix.
                let inner: Vec<TokenTree> = g.stream().into_iter().collect();
                let mut j = 0;
                while j < inner.len() {
                    j = read_path(&inner, j, segments.clone(), line, paths);
                    while j < inner.len()
                        && !matches!(&inner[j], TokenTree::Punct(p) if p.as_char() == ',')
                    {
                        j += 1;
                    }
                    j += 1;
                }
                return i + 1;
            }
            _ => break,
        }
        if is_path_sep(tokens, i) {
            i += 2;
        } else {
            break;
        }
    }
    if !segments.is_empty() {
        paths.push((line, segments));
    }
    i
}

/// What walking one file's tokens gathers.
struct Walk<'a> {
    /// `crate`, or `netlab` in main.rs.
    root: &'a str,
    references: Vec<Reference>,
    /// Modules declared `#[cfg(test)] mod x;`: their files are test code.
    test_modules: BTreeSet<Vec<String>>,
}

/// Whether an attribute's tokens are `cfg(test)` (or a `cfg(all(test, ...))`).
fn is_cfg_test(attribute: &TokenStream) -> bool {
    fn words(stream: TokenStream, out: &mut Vec<String>) {
        for tree in stream {
            match tree {
                TokenTree::Ident(i) => out.push(i.to_string()),
                TokenTree::Group(g) => words(g.stream(), out),
                _ => {}
            }
        }
    }
    let mut found = Vec::new();
    words(attribute.clone(), &mut found);
    found.first().is_some_and(|w| w == "cfg")
        && found.iter().any(|w| w == "test")
        && !found.iter().any(|w| w == "not")
}

impl Walk<'_> {
    /// Walks one token stream of `module`, collecting the paths it writes; `test`: the
    /// stream is test code (under `#[cfg(test)]`).
    fn walk(
        &mut self,
        stream: TokenStream,
        module: &[String],
        kids: Option<&BTreeSet<String>>,
        test: bool,
    ) {
        let tokens: Vec<TokenTree> = stream.into_iter().collect();
        let own_kids;
        let kids = match kids {
            Some(k) => k,
            None => {
                own_kids = children(&tokens);
                &own_kids
            }
        };
        // The item after `#[cfg(test)]`, up to its `;` or its body, is test code.
        let mut test_item = false;
        let mut i = 0;
        while i < tokens.len() {
            let word = ident(tokens.get(i));
            let in_test = test || test_item;
            match (&tokens[i], tokens.get(i + 1)) {
                (TokenTree::Punct(p), Some(TokenTree::Group(g)))
                    if p.as_char() == '#' && g.delimiter() == Delimiter::Bracket =>
                {
                    test_item |= is_cfg_test(&g.stream());
                    self.walk(g.stream(), module, Some(kids), in_test);
                    i += 2;
                    continue;
                }
                (TokenTree::Punct(p), _) if p.as_char() == ';' => test_item = false,
                _ => {}
            }
            if word.as_deref() == Some("mod") {
                if let Some(name) = ident(tokens.get(i + 1)) {
                    let mut inner = module.to_vec();
                    inner.push(name);
                    match tokens.get(i + 2) {
                        // An inline module: its own level, with its own children.
                        Some(TokenTree::Group(g)) if g.delimiter() == Delimiter::Brace => {
                            self.walk(g.stream(), &inner, None, in_test);
                            test_item = false;
                            i += 3;
                            continue;
                        }
                        _ if in_test => {
                            self.test_modules.insert(inner);
                        }
                        _ => {}
                    }
                }
            }
            // `pub(super)`, `pub(in crate::x)`: a visibility, not an import.
            if word.as_deref() == Some("pub") {
                if let Some(TokenTree::Group(g)) = tokens.get(i + 1) {
                    if g.delimiter() == Delimiter::Parenthesis {
                        i += 2;
                        continue;
                    }
                }
            }
            // `::std::x`: a global path, another crate's.
            let global = i > 0
                && is_path_sep(&tokens, i.saturating_sub(2))
                && !matches!(tokens.get(i.wrapping_sub(3)), Some(TokenTree::Ident(_)));
            if word.is_some() && is_path_sep(&tokens, i + 1) && !global {
                let line = tokens[i].span().start().line;
                let mut paths = Vec::new();
                i = read_path(&tokens, i, Vec::new(), line, &mut paths);
                for (line, segments) in paths {
                    self.references.push(Reference {
                        line,
                        written: segments.join("::"),
                        target: resolve(module, kids, &segments, self.root),
                        segments,
                        test: in_test,
                    });
                }
                continue;
            }
            if let TokenTree::Group(g) = &tokens[i] {
                self.walk(g.stream(), module, Some(kids), in_test);
                if g.delimiter() == Delimiter::Brace {
                    test_item = false;
                }
            }
            i += 1;
        }
    }
}

/// Reads `(path, text)` pairs of `src/` into files with their references.
fn read(sources: &[(String, String)]) -> Result<Vec<File>, String> {
    let mut files = Vec::new();
    let mut test_modules = BTreeSet::new();
    for (path, text) in sources {
        let stream =
            TokenStream::from_str(text).map_err(|e| format!("{path}: not Rust tokens: {e}"))?;
        // main.rs is the binary: it reaches the library as `netlab::`.
        let (module, root) = if path == "src/main.rs" {
            (Vec::new(), "netlab")
        } else {
            (module_of(path), "crate")
        };
        let mut walk = Walk {
            root,
            references: Vec::new(),
            test_modules: BTreeSet::new(),
        };
        walk.walk(stream, &module, None, false);
        test_modules.append(&mut walk.test_modules);
        let module = if path == "src/main.rs" {
            vec!["main".to_string()]
        } else {
            module
        };
        files.push(File {
            path: path.clone(),
            module,
            references: walk.references,
        });
    }
    // A file of a `#[cfg(test)] mod x;` is test code throughout.
    for file in &mut files {
        if test_modules.iter().any(|t| file.module.starts_with(t)) {
            file.references.iter_mut().for_each(|r| r.test = true);
        }
    }
    Ok(files)
}

/// The file that holds `target`: the longest prefix of it that is a file's module.
fn holder<'a>(files: &'a [File], target: &[String]) -> Option<&'a File> {
    (0..=target.len()).rev().find_map(|n| {
        files
            .iter()
            .find(|f| f.path != "src/main.rs" && f.module == target[..n])
    })
}

fn layer_of(top: &str) -> Option<usize> {
    LAYERS
        .iter()
        .position(|(_, modules)| modules.contains(&top))
}

/// Applies the five rules to `sources` (`("src/x.rs", text)` pairs).
fn check(sources: &[(String, String)]) -> Findings {
    let mut found = Findings::default();
    let files = match read(sources) {
        Ok(files) => files,
        Err(why) => {
            found.layers.push(why);
            return found;
        }
    };
    let mut edges: BTreeMap<&str, BTreeMap<&str, usize>> = BTreeMap::new();
    let mut unplaced = BTreeSet::new();
    for file in &files {
        let Some(top) = file.module.first() else {
            continue;
        };
        let from = layer_of(top);
        if from.is_none() {
            unplaced.insert(top.clone());
        }
        for r in &file.references {
            let at = format!("{}:{}", file.path, r.line);
            if r.segments.first().is_some_and(|s| s == "libc") && !file.path.starts_with("src/net/")
            {
                found.libc.push(format!(
                    "{at}: `{}`: libc is called only under src/net/",
                    r.written
                ));
            }
            if r.segments
                .windows(2)
                .any(|w| w[0] == "process" && w[1] == "exit")
                && !matches!(file.path.as_str(), "src/main.rs" | "src/app.rs")
            {
                found.exits.push(format!(
                    "{at}: `{}`: only main.rs and app.rs end the process; return the error instead",
                    r.written
                ));
            }
            let Some(target) = &r.target else { continue };
            let Some(to) = holder(&files, target) else {
                continue;
            };
            if to.path == file.path {
                continue;
            }
            // A file reading what an enclosing folder's mod.rs declares (`super::Plan`) is
            // the module's own shape, not a circle: the mod.rs is the folder's face.
            let from_ancestor =
                to.module.len() < file.module.len() && file.module.starts_with(&to.module);
            if !r.test && !from_ancestor {
                edges
                    .entry(file.path.as_str())
                    .or_default()
                    .entry(to.path.as_str())
                    .or_insert(r.line);
            }
            let Some(other) = to.module.first() else {
                continue;
            };
            if other == top {
                continue;
            }
            if top == "cli" && COMMANDS.contains(&other.as_str()) {
                found.cli.push(format!(
                    "{at}: cli imports the command `{other}` (`{}`): cli defines the command line and imports no command; \
                     move what both need below them",
                    r.written
                ));
            }
            if let (Some(from), Some(to_layer)) = (from, layer_of(other)) {
                if to_layer <= from {
                    let how = if to_layer == from {
                        "its own layer"
                    } else {
                        "a layer above it"
                    };
                    found.layers.push(format!(
                        "{at}: `{top}` ({}) imports `{other}` ({}), `{}`: that is {how}; \
                         a module imports only from the layers below its own (tests/it/layers.rs LAYERS, src/lib.rs)",
                        LAYERS[from].0, LAYERS[to_layer].0, r.written
                    ));
                }
            }
        }
    }
    for top in unplaced {
        found.layers.push(format!(
            "src/{top}: the module `{top}` is in no layer: add it to LAYERS in tests/it/layers.rs and to src/lib.rs's picture"
        ));
    }
    found.circles = circles(&edges);
    found
}

/// Every import circle between files, one per strongly connected group, written as the
/// files in order with the line of each import: `a.rs:3 -> b.rs:9 -> a.rs`.
fn circles(edges: &BTreeMap<&str, BTreeMap<&str, usize>>) -> Vec<String> {
    // Tarjan's strongly connected components, recursive (the graph has ~150 files).
    struct Tarjan<'e, 'a> {
        edges: &'e BTreeMap<&'a str, BTreeMap<&'a str, usize>>,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        groups: Vec<Vec<&'a str>>,
    }
    impl<'a> Tarjan<'_, 'a> {
        fn visit(&mut self, v: &'a str) {
            let n = self.index.len();
            self.index.insert(v, n);
            self.low.insert(v, n);
            self.stack.push(v);
            let next: Vec<&'a str> = self
                .edges
                .get(v)
                .map(|e| e.keys().copied().collect())
                .unwrap_or_default();
            for w in next {
                if !self.index.contains_key(w) {
                    self.visit(w);
                    let lw = self.low[w];
                    let lv = self.low.get_mut(v).unwrap();
                    *lv = (*lv).min(lw);
                } else if self.stack.contains(&w) {
                    let iw = self.index[w];
                    let lv = self.low.get_mut(v).unwrap();
                    *lv = (*lv).min(iw);
                }
            }
            if self.low[v] == self.index[v] {
                let mut group = Vec::new();
                while let Some(w) = self.stack.pop() {
                    group.push(w);
                    if w == v {
                        break;
                    }
                }
                if group.len() > 1 {
                    self.groups.push(group);
                }
            }
        }
    }
    let mut t = Tarjan {
        edges,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        groups: Vec::new(),
    };
    for &v in edges.keys() {
        if !t.index.contains_key(v) {
            t.visit(v);
        }
    }
    t.groups
        .iter()
        .map(|group| {
            // One circle through the group's first file: breadth-first back to it.
            let start = *group.iter().min().unwrap();
            let mut came_from: BTreeMap<&str, &str> = BTreeMap::new();
            let mut queue = std::collections::VecDeque::from([start]);
            let mut last = start;
            'search: while let Some(v) = queue.pop_front() {
                for &w in edges.get(v).map(|e| e.keys()).into_iter().flatten() {
                    if !group.contains(&w) {
                        continue;
                    }
                    if w == start {
                        last = v;
                        break 'search;
                    }
                    if !came_from.contains_key(w) {
                        came_from.insert(w, v);
                        queue.push_back(w);
                    }
                }
            }
            let mut path = vec![last];
            while let Some(&p) = came_from.get(path.last().unwrap()) {
                path.push(p);
            }
            path.reverse();
            let mut text = String::new();
            for (k, v) in path.iter().enumerate() {
                let next = path.get(k + 1).copied().unwrap_or(start);
                text.push_str(&format!("{v}:{} -> ", edges[v][next]));
            }
            text.push_str(start);
            let mut others: Vec<&str> = group
                .iter()
                .copied()
                .filter(|f| !path.contains(f))
                .collect();
            others.sort();
            if others.is_empty() {
                return format!("import circle: {text}");
            }
            // A bigger tangle: every import inside it, so it can be cut where it is cheapest.
            let mut inside = Vec::new();
            for &v in group {
                for (&w, line) in &edges[v] {
                    if group.contains(&w) {
                        inside.push(format!("    {v}:{line} -> {w}"));
                    }
                }
            }
            inside.sort();
            format!(
                "import circle: {text} (the same tangle holds {}; its imports:)\n{}",
                others.join(", "),
                inside.join("\n")
            )
        })
        .collect()
}

/// Every `.rs` file under `src/`, as `("src/...", text)`.
fn sources() -> Vec<(String, String)> {
    fn collect(dir: &Path, root: &Path, out: &mut Vec<(String, String)>) {
        let mut entries: Vec<_> = std::fs::read_dir(dir)
            .expect("read src")
            .map(|e| e.expect("entry").path())
            .collect();
        entries.sort();
        for path in entries {
            if path.is_dir() {
                collect(&path, root, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let rel = path
                    .strip_prefix(root)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned();
                out.push((rel, std::fs::read_to_string(&path).expect("read source")));
            }
        }
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut out = Vec::new();
    collect(&root.join("src"), root, &mut out);
    assert!(
        out.len() > 50,
        "src/ has only {} files: wrong directory?",
        out.len()
    );
    out
}

fn verdict(rule: &str, problems: &[String]) {
    assert!(
        problems.is_empty(),
        "{rule}: {} problem(s)\n{}",
        problems.len(),
        problems.join("\n")
    );
}

/// The findings on `src/`, read once for the five tests below.
fn findings() -> &'static Findings {
    static FOUND: OnceLock<Findings> = OnceLock::new();
    FOUND.get_or_init(|| check(&sources()))
}

#[test]
fn imports_point_down_the_layers() {
    verdict(
        "(a) imports into a layer's own or a higher one",
        &findings().layers,
    );
}

#[test]
fn no_import_circle_between_files() {
    verdict("(b) import circles", &findings().circles);
}

#[test]
fn libc_only_in_net() {
    verdict("(c) libc outside src/net/", &findings().libc);
}

#[test]
fn only_main_and_app_exit() {
    verdict(
        "(d) std::process::exit outside main.rs and app.rs",
        &findings().exits,
    );
}

#[test]
fn cli_imports_no_command() {
    verdict("(e) cli.rs importing a command", &findings().cli);
}

fn example(files: &[(&str, &str)]) -> Vec<(String, String)> {
    files
        .iter()
        .map(|(p, t)| (p.to_string(), t.to_string()))
        .collect()
}

/// The checker finds what it must, so the tests above cannot pass by seeing nothing.
#[test]
fn the_checker_reports_a_circle_a_layer_breach_libc_and_exit() {
    let found = check(&example(&[
        ("src/lib.rs", "pub mod cli; pub mod trace; pub mod net;"),
        (
            "src/cli.rs",
            "// use crate::ping; in a comment counts for nothing\n\
             #[arg(default_value = crate::trace::asn::ZONE)]\npub struct Args;",
        ),
        (
            "src/trace/mod.rs",
            "pub mod asn;\nmod a;\nmod b;\nuse crate::cli::Args;",
        ),
        (
            "src/trace/asn.rs",
            "pub const ZONE: &str = \"crate::ping::x\";",
        ),
        ("src/trace/a.rs", "use super::{b::B, asn};\npub struct A;"),
        (
            "src/trace/b.rs",
            "use std::process;\n\nfn f() -> super::a::A { process::exit(2) }\npub struct B;",
        ),
        (
            "src/net/mod.rs",
            "fn g() { unsafe { libc::close(3) }; }\n#[cfg(test)]\nmod tests { use super::*; }",
        ),
        ("src/trace/io.rs", "fn h() -> i32 { libc::EINTR }"),
    ]));
    assert_eq!(
        found.circles,
        ["import circle: src/trace/a.rs:1 -> src/trace/b.rs:3 -> src/trace/a.rs"],
        "{found:#?}"
    );
    assert_eq!(found.layers.len(), 1, "{found:#?}");
    assert!(
        found.layers[0]
            .starts_with("src/cli.rs:2: `cli` (the command line) imports `trace` (the commands)"),
        "{found:#?}"
    );
    assert_eq!(found.cli.len(), 1, "{found:#?}");
    assert!(
        found.cli[0].starts_with("src/cli.rs:2: cli imports the command `trace`"),
        "{found:#?}"
    );
    assert_eq!(found.libc.len(), 1, "{found:#?}");
    assert!(
        found.libc[0].starts_with("src/trace/io.rs:1: `libc::EINTR`"),
        "{found:#?}"
    );
    assert_eq!(found.exits.len(), 1, "{found:#?}");
    assert!(
        found.exits[0].starts_with("src/trace/b.rs:3: `process::exit`"),
        "{found:#?}"
    );

    // The same files, put right, are clean (test code may import its parent); a module
    // missing from LAYERS is named.
    let clean = check(&example(&[
        ("src/lib.rs", "pub mod cli; pub mod trace;"),
        ("src/cli.rs", "pub const ZONE: &str = \"x\";"),
        (
            "src/trace/mod.rs",
            "mod a;\nmod b;\n#[cfg(test)]\nmod fake;\nuse crate::cli::ZONE;\nuse self::a::A;\n\
             #[cfg(test)]\nmod tests { use super::fake::F; }",
        ),
        // A test fixture that takes its parent's types is no circle: test code is left out.
        ("src/trace/fake.rs", "use super::A;\npub struct F(A);"),
        (
            "src/trace/a.rs",
            "use super::b::B;\npub struct A(B, super::Plan);",
        ),
        (
            "src/trace/b.rs",
            "pub struct B;\n#[cfg(test)]\nmod tests { use super::*; }",
        ),
        (
            "src/main.rs",
            "fn main() { std::process::exit(netlab::trace::run()) }",
        ),
    ]));
    assert!(
        clean.circles.is_empty() && clean.layers.is_empty(),
        "{clean:#?}"
    );
    assert!(
        clean.libc.is_empty() && clean.exits.is_empty() && clean.cli.is_empty(),
        "{clean:#?}"
    );
    let stray = check(&example(&[("src/gadget.rs", "use crate::trace::X;")]));
    assert!(
        stray.layers[0].contains("the module `gadget` is in no layer"),
        "{stray:#?}"
    );
}
