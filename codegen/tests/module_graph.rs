//! The modules of codegen and spec-diff form a stack: no module reaches a
//! module that reaches it back. The graph is read from the sources (every
//! `crate::x` path, in `use` lines or inline, with the crate root's
//! `pub use` re-exports mapped to the module that defines the item).
//! `cargo test -p zoom-billing-codegen --test module_graph -- --nocapture`
//! prints it, one line per module.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

type Graph = BTreeMap<String, BTreeSet<String>>;

/// The crate's directory at run time (not `env!`, which a reused binary would get wrong).
fn manifest_dir() -> PathBuf {
    PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo test sets CARGO_MANIFEST_DIR"))
}

/// Source text with `//` comments (docs included) removed.
fn code(text: &str) -> String {
    text.lines().map(|line| line.split_once("//").map_or(line, |(code, _)| code)).collect::<Vec<_>>().join("\n")
}

fn ident(text: &str) -> &str {
    let end = text.find(|c: char| !(c.is_alphanumeric() || c == '_')).unwrap_or(text.len());
    &text[..end]
}

/// The first segment of every path after `crate::`, through one level of `{...}`.
fn crate_paths(code: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut rest = code;
    while let Some(at) = rest.find("crate::") {
        rest = &rest[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let mut depth = 1;
            let end = group
                .char_indices()
                .find(|&(_, c)| {
                    depth += match c {
                        '{' => 1,
                        '}' => -1,
                        _ => 0,
                    };
                    depth == 0
                })
                .map_or(group.len(), |(i, _)| i);
            let mut level = 0;
            let mut start = 0;
            for (i, c) in group[..end].char_indices().chain([(end, ',')]) {
                match c {
                    '{' => level += 1,
                    '}' => level -= 1,
                    ',' if level == 0 => {
                        out.insert(ident(group[start..i].trim()).to_owned());
                        start = i + 1;
                    }
                    _ => {}
                }
            }
        } else {
            out.insert(ident(rest).to_owned());
        }
    }
    out.remove("");
    out
}

/// `pub use module::{a, b};` and `pub use module::a;` in the crate root: item → module.
fn reexports(lib: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for statement in lib.split(';') {
        let Some(path) = statement.trim().strip_prefix("pub use ") else { continue };
        let Some((module, items)) = path.split_once("::") else { continue };
        for item in items.trim_matches(|c| c == '{' || c == '}').split(',') {
            let item = item.trim();
            let name = item.rsplit_once(" as ").map_or(item, |(_, alias)| alias).trim();
            out.insert(name.to_owned(), module.trim().to_owned());
        }
    }
    out
}

/// The graph of the crate whose sources are `files` (file name without `.rs` → text).
fn graph(files: &BTreeMap<String, String>) -> Graph {
    let lib = files.get("lib").map(|l| code(l)).unwrap_or_default();
    let reexported = reexports(&lib);
    files
        .iter()
        .filter(|(name, _)| *name != "lib")
        .map(|(name, text)| {
            let deps = crate_paths(&code(text))
                .into_iter()
                .filter_map(
                    |first| {
                        if files.contains_key(&first) { Some(first) } else { reexported.get(&first).cloned() }
                    },
                )
                .filter(|dep| dep != name && dep != "lib")
                .collect();
            (name.clone(), deps)
        })
        .collect()
}

fn read_crate(src: &Path) -> BTreeMap<String, String> {
    let mut files = BTreeMap::new();
    for entry in std::fs::read_dir(src).unwrap_or_else(|e| panic!("{}: {e}", src.display())) {
        let path = entry.expect("directory entry").path();
        if path.is_dir() {
            // A module directory is one node: all of its files together.
            let name = path.file_name().expect("directory name").to_string_lossy().into_owned();
            files.insert(name, read_tree(&path));
            continue;
        }
        if path.extension().is_some_and(|e| e == "rs") {
            let name = path.file_stem().expect("file name").to_string_lossy().into_owned();
            let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            files.insert(name, text);
        }
    }
    files
}

/// Every `.rs` file below `dir`, concatenated.
fn read_tree(dir: &Path) -> String {
    let mut text = String::new();
    for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.expect("directory entry").path();
        if path.is_dir() {
            text.push_str(&read_tree(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            text.push_str(&std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display())));
            text.push('\n');
        }
    }
    text
}

/// A cycle, as `a -> b -> a`, if there is one.
fn find_cycle(graph: &Graph) -> Option<String> {
    fn visit(node: &str, graph: &Graph, stack: &mut Vec<String>, done: &mut BTreeSet<String>) -> Option<String> {
        if let Some(at) = stack.iter().position(|n| n == node) {
            let mut cycle = stack[at..].to_vec();
            cycle.push(node.to_owned());
            return Some(cycle.join(" -> "));
        }
        if done.contains(node) {
            return None;
        }
        stack.push(node.to_owned());
        for dep in graph.get(node).into_iter().flatten() {
            if let Some(cycle) = visit(dep, graph, stack, done) {
                return Some(cycle);
            }
        }
        stack.pop();
        done.insert(node.to_owned());
        None
    }
    let mut done = BTreeSet::new();
    graph.keys().find_map(|node| visit(node, graph, &mut Vec::new(), &mut done))
}

fn render(graph: &Graph) -> String {
    graph
        .iter()
        .map(|(module, deps)| format!("{module} -> {}\n", deps.iter().cloned().collect::<Vec<_>>().join(", ")))
        .collect()
}

fn check(src: &Path) -> Graph {
    let mut files = read_crate(src);
    // zoom-billing's generated module is code the runtime wraps and that names the
    // runtime's entry points back (`crate::call::run`): not a member of the stack.
    files.remove("generated");
    let mut graph = graph(&files);
    for deps in graph.values_mut() {
        deps.remove("generated");
    }
    println!("{}:\n{}", src.display(), render(&graph));
    if let Some(cycle) = find_cycle(&graph) {
        panic!("module cycle in {}: {cycle}\n{}", src.display(), render(&graph));
    }
    graph
}

#[test]
fn codegen_modules_form_a_stack() {
    let graph = check(&manifest_dir().join("src"));
    // The bottom of the stack imports nothing of the crate.
    for bottom in ["diagnostic", "yaml"] {
        assert_eq!(graph.get(bottom), Some(&BTreeSet::new()), "{bottom} must stay at the bottom");
    }
    // lint, examples and metadata share the one resolver and the one walker.
    assert!(graph["lint"].contains("refs") && graph["lint"].contains("walk"));
    assert!(graph["examples"].contains("refs") && graph["metadata"].contains("walk"));
}

#[test]
fn spec_diff_modules_form_a_stack() {
    check(&manifest_dir().join("../tools/spec-diff/src"));
}

#[test]
fn the_checker_sees_cycles_through_braces_inline_paths_and_reexports() {
    let files: BTreeMap<String, String> = [
        ("lib", "mod a;\nmod b;\nmod c;\npub use c::{Thing, Other as Renamed};\n"),
        ("a", "use crate::{b::{self, X}, yaml};\n// crate::c is only a comment\n"),
        ("b", "fn f() -> crate::Renamed { todo!() }\n"),
        ("c", "use crate::a;\n"),
    ]
    .into_iter()
    .map(|(n, t)| (n.to_owned(), t.to_owned()))
    .collect();
    let graph = graph(&files);
    assert_eq!(graph["a"], BTreeSet::from(["b".to_owned()]));
    assert_eq!(graph["b"], BTreeSet::from(["c".to_owned()]));
    assert_eq!(find_cycle(&graph).as_deref(), Some("a -> b -> c -> a"));
    let acyclic: Graph = [("a".to_owned(), BTreeSet::from(["b".to_owned()])), ("b".to_owned(), BTreeSet::new())].into();
    assert_eq!(find_cycle(&acyclic), None);
}

/// The runtime too (its generated module is code, not a stack member: skipped by name).
#[test]
fn zoom_billing_runtime_modules_form_a_stack() {
    let graph = check(&manifest_dir().join("../zoom-billing/src"));
    // (The generated code is not a stack member: see `check`.)
    // `error` holds types: it reaches only what its types are made of.
    let error: Vec<_> = graph["error"].iter().map(String::as_str).collect();
    assert!(error.iter().all(|m| ["metadata", "auth", "human", "generated"].contains(m)), "{error:?}");
}

/// The stack comment in zoom-billing's `lib.rs` is the graph: it lists the runtime's modules
/// bottom first, and each uses only modules listed below it; a module it leaves out uses none.
#[test]
fn zoom_billing_stack_comment_matches_the_graph() {
    let src = manifest_dir().join("../zoom-billing/src");
    let graph = check(&src);
    let lib = std::fs::read_to_string(src.join("lib.rs")).expect("zoom-billing/src/lib.rs");
    let comment: String = lib
        .lines()
        .filter_map(|line| line.trim().strip_prefix("// "))
        .skip_while(|line| !line.starts_with("The runtime is a stack"))
        .collect::<Vec<_>>()
        .join(" ");
    let list = comment.split_once("checks it):").map(|(_, rest)| rest).unwrap_or_default();
    let list = list.split_once('.').map_or(list, |(list, _)| list);
    let order: Vec<&str> = list.split(',').map(str::trim).filter(|m| !m.is_empty()).collect();
    assert!(order.len() > 10, "the stack comment in lib.rs was not found: {comment:?}");
    for (module, deps) in &graph {
        let Some(at) = order.iter().position(|m| m == module) else {
            assert!(deps.is_empty(), "{module} is not in lib.rs's stack comment but uses {deps:?}");
            continue;
        };
        for dep in deps {
            // A module the comment leaves out uses none: any module may stand on it.
            let below = order[..at].contains(&dep.as_str()) || !order.contains(&dep.as_str());
            assert!(below, "{module} uses {dep}, which lib.rs's stack comment does not list below it");
        }
    }
    for module in &order {
        assert!(graph.contains_key(*module), "lib.rs's stack comment names {module}, which is not a module");
    }
}
