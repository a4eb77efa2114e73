//! The workspace's module layering, checked from the code: no import cycle between the files of
//! any crate.
//!
//! Each crate's files are read from its roots (`lib.rs`, `main.rs`) through their `mod`
//! declarations (`#[path]` included). An edge `a.rs -> b.rs` is any path of `a.rs` that names an
//! item defined in `b.rs`: `use` lines (`crate::`, `super::`, `self::`, a sub-module's name) and
//! paths in the code (`crate::x::f()`, `super::X`, `module::f()` after `use crate::module`). A
//! name a module re-exports (`pub use child::Item`) leads to the file that defines it. A `mod`
//! declaration and a re-export are composition, not dependency: they make no edge.
//!
//! Allowed: a module and one of its own sub-modules using each other (the parent composes the
//! child, the child uses the parent's items). Any other circle is reported, with its files and
//! the path behind each step. Pure `std`: a small tokenizer, no parser crate.

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::path::{Path, PathBuf};

/// The crates of the workspace: a name, its directory (from the workspace root) and its roots.
const CRATES: &[(&str, &str, &[&str])] = &[
    ("ssm-secrets", ".", &["src/lib.rs"]),
    (
        "host-example",
        "host-example",
        &["src/lib.rs", "src/main.rs"],
    ),
    ("endpoint", "endpoint", &["src/lib.rs"]),
    ("config-store", "config-store", &["src/lib.rs"]),
    (
        "config-store-consumer",
        "config-store/consumer",
        &["src/main.rs"],
    ),
    ("python", "python", &["native/lib.rs"]),
];

/// Cycles known today, each with the files it passes through (from the crate's directory).
/// Whoever breaks one removes its entry; an entry that no longer matches fails the test.
const KNOWN_CYCLES: &[(&str, &[&str])] = &[];

#[test]
fn no_import_cycle_between_the_files_of_any_crate() {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut problems = Vec::new();
    for &(name, dir, roots) in CRATES {
        let dir = workspace.join(dir);
        let graph = match FileGraph::read(&dir, roots, &|path: &Path| {
            std::fs::read_to_string(path).ok()
        }) {
            Ok(graph) => graph,
            Err(e) => {
                problems.push(format!("{name}: {e}"));
                continue;
            }
        };
        let known: Vec<BTreeSet<String>> = KNOWN_CYCLES
            .iter()
            .filter(|(c, _)| *c == name)
            .map(|(_, files)| files.iter().map(|f| f.to_string()).collect())
            .collect();
        let cycles = graph.cycles();
        for cycle in &cycles {
            let files: BTreeSet<String> = cycle.iter().map(|step| step.file.clone()).collect();
            if !known.contains(&files) {
                problems.push(format!("{name}: import cycle\n{}", describe(cycle)));
            }
        }
        for files in &known {
            let found = cycles.iter().any(|cycle| {
                cycle
                    .iter()
                    .map(|s| s.file.clone())
                    .collect::<BTreeSet<_>>()
                    == *files
            });
            if !found {
                problems.push(format!(
                    "{name}: the known cycle through {files:?} is gone: remove its `known:` entry \
                     from KNOWN_CYCLES in tests/architecture.rs"
                ));
            }
        }
    }
    assert!(problems.is_empty(), "\n{}", problems.join("\n\n"));
}

/// One step of a cycle: a file and the path by which it uses the next file.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Step {
    file: String,
    via: String,
}

fn describe(cycle: &[Step]) -> String {
    let mut out = String::new();
    for (i, step) in cycle.iter().enumerate() {
        let next = &cycle[(i + 1) % cycle.len()].file;
        out.push_str(&format!("  {} -> {next}   ({})\n", step.file, step.via));
    }
    out
}

/// Files and the edges between them, with each file's parent (the file declaring it).
#[derive(Debug, Default)]
struct FileGraph {
    /// `from -> (to -> an example path)`.
    edges: BTreeMap<String, BTreeMap<String, String>>,
    parent: HashMap<String, String>,
}

impl FileGraph {
    /// Reads a crate from `roots` (relative to `dir`) with `read`.
    fn read(
        dir: &Path,
        roots: &[&str],
        read: &dyn Fn(&Path) -> Option<String>,
    ) -> Result<Self, String> {
        let mut graph = FileGraph::default();
        for root in roots {
            let tree = ModuleTree::load(dir, root, read)?;
            tree.add_edges(&mut graph);
        }
        Ok(graph)
    }

    fn add_edge(&mut self, from: &str, to: &str, via: &str) {
        if from != to {
            self.edges
                .entry(from.to_string())
                .or_default()
                .entry(to.to_string())
                .or_insert_with(|| via.to_string());
        }
    }

    /// Whether `a` declares `b` or `b` declares `a`.
    fn related(&self, a: &str, b: &str) -> bool {
        self.parent.get(a).is_some_and(|p| p == b) || self.parent.get(b).is_some_and(|p| p == a)
    }

    /// Every cycle but those of a module with its own sub-module, each once, starting at its
    /// smallest file.
    fn cycles(&self) -> Vec<Vec<Step>> {
        let mut found: BTreeSet<Vec<String>> = BTreeSet::new();
        for (from, targets) in &self.edges {
            for to in targets.keys() {
                let back_direct = self.edges.get(to).is_some_and(|t| t.contains_key(from));
                let cycle = if back_direct && !self.related(from, to) {
                    Some(vec![from.clone(), to.clone()])
                } else {
                    // A way back of two steps or more, so the circle passes a third file.
                    self.path_avoiding_edge(to, from)
                        .map(|path| std::iter::once(from.clone()).chain(path).collect())
                };
                if let Some(mut cycle) = cycle {
                    cycle.pop_if_last_is(from);
                    let start = (0..cycle.len()).min_by_key(|&i| &cycle[i]).unwrap_or(0);
                    cycle.rotate_left(start);
                    found.insert(cycle);
                }
            }
        }
        found
            .into_iter()
            .map(|files| {
                (0..files.len())
                    .map(|i| {
                        let (file, next) = (&files[i], &files[(i + 1) % files.len()]);
                        Step {
                            file: file.clone(),
                            via: self.edges[file][next].clone(),
                        }
                    })
                    .collect()
            })
            .collect()
    }

    /// The shortest path `from -> ... -> to` (both included) that does not use the direct edge
    /// `from -> to`.
    fn path_avoiding_edge(&self, from: &str, to: &str) -> Option<Vec<String>> {
        let mut previous: HashMap<&str, &str> = HashMap::new();
        let mut queue = VecDeque::from([from]);
        while let Some(at) = queue.pop_front() {
            for next in self.edges.get(at).into_iter().flat_map(|t| t.keys()) {
                if (at == from && next == to)
                    || next == from
                    || previous.contains_key(next.as_str())
                {
                    continue;
                }
                previous.insert(next, at);
                if next == to {
                    let mut path = vec![to.to_string()];
                    let mut cur = to;
                    while cur != from {
                        cur = previous[cur];
                        path.push(cur.to_string());
                    }
                    path.reverse();
                    return Some(path);
                }
                queue.push_back(next);
            }
        }
        None
    }
}

trait PopIfLast {
    fn pop_if_last_is(&mut self, value: &str);
}

impl PopIfLast for Vec<String> {
    fn pop_if_last_is(&mut self, value: &str) {
        if self.len() > 1 && self.last().is_some_and(|l| l == value) {
            self.pop();
        }
    }
}

/// A module path from the crate root, e.g. `["credentials", "sts"]`.
type ModPath = Vec<String>;

/// One `use` leaf: the path, the name it binds (`None` for a glob) and whether it is `pub`.
#[derive(Debug, Clone)]
struct UseLeaf {
    segments: Vec<String>,
    binds: Option<String>,
    public: bool,
}

#[derive(Debug, Default)]
struct Module {
    /// The file it is written in (relative to the crate's directory).
    file: String,
    children: BTreeSet<String>,
    uses: Vec<UseLeaf>,
    /// Paths in code (not in `use` lines).
    paths: Vec<Vec<String>>,
}

/// A crate's modules, from one root.
struct ModuleTree {
    modules: BTreeMap<ModPath, Module>,
}

impl ModuleTree {
    fn load(
        dir: &Path,
        root: &str,
        read: &dyn Fn(&Path) -> Option<String>,
    ) -> Result<Self, String> {
        let mut tree = ModuleTree {
            modules: BTreeMap::new(),
        };
        let mut pending = vec![(Vec::new(), PathBuf::from(root), true)];
        while let Some((path, file, owns_dir)) = pending.pop() {
            let text = read(&dir.join(&file))
                .ok_or_else(|| format!("cannot read {}", dir.join(&file).display()))?;
            let file_name = file.to_string_lossy().replace('\\', "/");
            let declared = scan_file(&text, &path, &file_name, &mut tree.modules);
            // Where `mod x;` looks: beside lib.rs/main.rs/mod.rs, else in a directory named
            // after the file.
            let base = if owns_dir {
                file.parent().unwrap_or(Path::new("")).to_path_buf()
            } else {
                file.with_extension("")
            };
            for decl in declared {
                let mut child_path = path.clone();
                child_path.extend(decl.inline_scope.iter().cloned());
                child_path.push(decl.name.clone());
                let mut child_base = base.clone();
                for inline in &decl.inline_scope {
                    child_base.push(inline);
                }
                let (child_file, child_owns_dir) = match &decl.path_attr {
                    Some(p) => {
                        let at = file.parent().unwrap_or(Path::new("")).join(p);
                        let owns = at.file_name().is_some_and(|n| n == "mod.rs");
                        (at, owns)
                    }
                    None => {
                        let flat = child_base.join(format!("{}.rs", decl.name));
                        if read(&dir.join(&flat)).is_some() {
                            (flat, false)
                        } else {
                            (child_base.join(&decl.name).join("mod.rs"), true)
                        }
                    }
                };
                pending.push((child_path, child_file, child_owns_dir));
            }
        }
        Ok(tree)
    }

    fn parent_file(&self, path: &ModPath) -> Option<&str> {
        let mut parent = path.clone();
        let own = &self.modules.get(path)?.file;
        while parent.pop().is_some() {
            let file = &self.modules.get(&parent)?.file;
            if file != own {
                return Some(file);
            }
        }
        None
    }

    fn add_edges(&self, graph: &mut FileGraph) {
        for (path, module) in &self.modules {
            if let Some(parent) = self.parent_file(path) {
                graph.parent.insert(module.file.clone(), parent.to_string());
            }
            let aliases = self.aliases(path);
            for leaf in &module.uses {
                if leaf.public && leaf.binds.is_some() {
                    continue; // a re-export: followed when the name is used
                }
                if let Some(target) = self.resolve(path, &leaf.segments, &aliases, 0) {
                    let is_module = target.item.is_none() && leaf.binds.is_some();
                    if !is_module {
                        let file = &self.modules[&target.module].file;
                        graph.add_edge(&module.file, file, &leaf.segments.join("::"));
                    }
                }
            }
            for segments in &module.paths {
                if let Some(target) = self.resolve(path, segments, &aliases, 0) {
                    let file = &self.modules[&target.module].file;
                    graph.add_edge(&module.file, file, &segments.join("::"));
                }
            }
        }
    }

    /// The names a module's `use` lines bind to modules of this crate.
    fn aliases(&self, scope: &ModPath) -> HashMap<String, ModPath> {
        let mut aliases = HashMap::new();
        let Some(module) = self.modules.get(scope) else {
            return aliases;
        };
        for leaf in &module.uses {
            let Some(name) = &leaf.binds else { continue };
            if let Some(target) = self.resolve(scope, &leaf.segments, &HashMap::new(), 0)
                && target.item.is_none()
            {
                aliases.insert(name.clone(), target.module);
            }
        }
        aliases
    }

    /// Where `segments`, written in `scope`, lead: a module and maybe an item in it; `None` for
    /// paths outside the crate.
    fn resolve(
        &self,
        scope: &ModPath,
        segments: &[String],
        aliases: &HashMap<String, ModPath>,
        depth: usize,
    ) -> Option<Target> {
        if depth > 16 {
            return None;
        }
        let (mut current, mut rest) = match segments.first()?.as_str() {
            "crate" => (Vec::new(), &segments[1..]),
            "self" => (scope.clone(), &segments[1..]),
            "super" => {
                let mut current = scope.clone();
                let mut rest = segments;
                while rest.first().is_some_and(|s| s == "super") {
                    current.pop()?;
                    rest = &rest[1..];
                }
                (current, rest)
            }
            first => {
                if let Some(module) = aliases.get(first) {
                    (module.clone(), &segments[1..])
                } else if self.modules.get(scope)?.children.contains(first) {
                    (scope.clone(), segments)
                } else {
                    return None;
                }
            }
        };
        while let Some(next) = rest.first() {
            if self.modules.get(&current)?.children.contains(next) {
                current.push(next.clone());
                rest = &rest[1..];
            } else if next == "self" {
                rest = &rest[1..];
            } else {
                break;
            }
        }
        let Some(item) = rest.first() else {
            return Some(Target {
                module: current,
                item: None,
            });
        };
        // A name the module re-exports leads to where it is defined.
        let module = self.modules.get(&current)?;
        for leaf in &module.uses {
            if leaf.public && leaf.binds.as_ref() == Some(item) {
                let own_aliases = self.aliases(&current);
                if let Some(target) =
                    self.resolve(&current, &leaf.segments, &own_aliases, depth + 1)
                {
                    return Some(target);
                }
            }
        }
        Some(Target {
            module: current,
            item: Some(item.clone()),
        })
    }
}

#[derive(Debug)]
struct Target {
    module: ModPath,
    item: Option<String>,
}

/// A `mod x;` declaration found in a file.
struct Declared {
    name: String,
    /// Inline modules around the declaration, inside the file.
    inline_scope: Vec<String>,
    path_attr: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Ident(String),
    Str(String),
    PathSep,
    Punct(char),
}

/// Scans one file (module `path`): registers it and its inline modules in `modules` with their
/// `use` leaves and code paths, and returns the file modules it declares.
fn scan_file(
    text: &str,
    path: &ModPath,
    file: &str,
    modules: &mut BTreeMap<ModPath, Module>,
) -> Vec<Declared> {
    let tokens = tokenize(text);
    let mut declared = Vec::new();
    let module_of = |inline: &[(String, usize)]| -> ModPath {
        let mut p = path.clone();
        p.extend(inline.iter().map(|(n, _)| n.clone()));
        p
    };
    modules.entry(path.clone()).or_default().file = file.to_string();
    let mut inline: Vec<(String, usize)> = Vec::new();
    let mut depth = 0usize;
    let mut path_attr: Option<String> = None;
    let mut i = 0;
    let ident = |i: usize| match tokens.get(i) {
        Some(Token::Ident(s)) => Some(s.as_str()),
        _ => None,
    };
    while i < tokens.len() {
        match &tokens[i] {
            Token::Punct('#') if tokens.get(i + 1) == Some(&Token::Punct('[')) => {
                // An attribute: remember `#[path = "..."]`, skip the rest.
                let mut j = i + 2;
                let mut nesting = 1;
                if ident(j) == Some("path")
                    && tokens.get(j + 1) == Some(&Token::Punct('='))
                    && let Some(Token::Str(p)) = tokens.get(j + 2)
                {
                    path_attr = Some(p.clone());
                }
                while j < tokens.len() && nesting > 0 {
                    match tokens[j] {
                        Token::Punct('[') => nesting += 1,
                        Token::Punct(']') => nesting -= 1,
                        _ => {}
                    }
                    j += 1;
                }
                i = j;
                continue;
            }
            Token::Ident(k) if k == "mod" => {
                if let Some(name) = ident(i + 1) {
                    match tokens.get(i + 2) {
                        Some(Token::Punct(';')) => {
                            declared.push(Declared {
                                name: name.to_string(),
                                inline_scope: inline.iter().map(|(n, _)| n.clone()).collect(),
                                path_attr: path_attr.take(),
                            });
                            let here = module_of(&inline);
                            modules
                                .entry(here)
                                .or_default()
                                .children
                                .insert(name.to_string());
                            i += 3;
                            continue;
                        }
                        Some(Token::Punct('{')) => {
                            let here = module_of(&inline);
                            modules
                                .entry(here)
                                .or_default()
                                .children
                                .insert(name.to_string());
                            depth += 1;
                            inline.push((name.to_string(), depth));
                            modules.entry(module_of(&inline)).or_default().file = file.to_string();
                            path_attr = None;
                            i += 3;
                            continue;
                        }
                        _ => {}
                    }
                }
            }
            Token::Ident(k) if k == "use" => {
                let public = is_public_before(&tokens, i);
                let mut j = i + 1;
                let mut leaves = Vec::new();
                parse_use_tree(&tokens, &mut j, &mut Vec::new(), public, &mut leaves);
                while j < tokens.len() && tokens[j] != Token::Punct(';') {
                    j += 1;
                }
                modules
                    .entry(module_of(&inline))
                    .or_default()
                    .uses
                    .extend(leaves);
                path_attr = None;
                i = j + 1;
                continue;
            }
            Token::Ident(first) if tokens.get(i + 1) == Some(&Token::PathSep) => {
                let starts_path = i == 0 || tokens[i - 1] != Token::PathSep;
                if starts_path && first != "Self" {
                    let mut segments = vec![first.clone()];
                    let mut j = i + 1;
                    while tokens.get(j) == Some(&Token::PathSep) {
                        match ident(j + 1) {
                            Some(s) => segments.push(s.to_string()),
                            None => break,
                        }
                        j += 2;
                    }
                    modules
                        .entry(module_of(&inline))
                        .or_default()
                        .paths
                        .push(segments);
                    i = j;
                    continue;
                }
            }
            Token::Punct('{') => depth += 1,
            Token::Punct('}') => {
                if inline.last().is_some_and(|(_, d)| *d == depth) {
                    inline.pop();
                }
                depth = depth.saturating_sub(1);
                path_attr = None;
            }
            Token::Punct(';') => path_attr = None,
            _ => {}
        }
        i += 1;
    }
    declared
}

/// Whether the `use` at `i` is preceded by `pub` or `pub(...)`.
fn is_public_before(tokens: &[Token], i: usize) -> bool {
    match i.checked_sub(1).map(|p| &tokens[p]) {
        Some(Token::Ident(p)) => p == "pub",
        Some(Token::Punct(')')) => {
            let mut j = i - 1;
            while j > 0 && tokens[j] != Token::Punct('(') {
                j -= 1;
            }
            j > 0 && tokens[j - 1] == Token::Ident("pub".into())
        }
        _ => false,
    }
}

/// Parses a use tree at `*i`, appending its leaves with `prefix` in front.
fn parse_use_tree(
    tokens: &[Token],
    i: &mut usize,
    prefix: &mut Vec<String>,
    public: bool,
    out: &mut Vec<UseLeaf>,
) {
    let depth = prefix.len();
    if tokens.get(*i) == Some(&Token::PathSep) {
        *i += 1; // `use ::std::...`
    }
    loop {
        match tokens.get(*i) {
            Some(Token::Ident(name)) => {
                prefix.push(name.clone());
                *i += 1;
                if tokens.get(*i) == Some(&Token::PathSep) {
                    *i += 1;
                    continue;
                }
                let mut binds = name.clone();
                if tokens.get(*i) == Some(&Token::Ident("as".into())) {
                    if let Some(Token::Ident(alias)) = tokens.get(*i + 1) {
                        binds = alias.clone();
                    }
                    *i += 2;
                }
                if name == "self" {
                    prefix.pop();
                    binds = if binds == "self" {
                        prefix.last().cloned().unwrap_or_default()
                    } else {
                        binds
                    };
                }
                out.push(UseLeaf {
                    segments: prefix.clone(),
                    binds: Some(binds).filter(|b| b != "_"),
                    public,
                });
                break;
            }
            Some(Token::Punct('*')) => {
                *i += 1;
                out.push(UseLeaf {
                    segments: prefix.clone(),
                    binds: None,
                    public,
                });
                break;
            }
            Some(Token::Punct('{')) => {
                *i += 1;
                loop {
                    match tokens.get(*i) {
                        Some(Token::Punct('}')) => {
                            *i += 1;
                            break;
                        }
                        Some(Token::Punct(',')) => *i += 1,
                        None => break,
                        _ => parse_use_tree(tokens, i, prefix, public, out),
                    }
                }
                break;
            }
            _ => break,
        }
    }
    prefix.truncate(depth);
}

/// Identifiers, string literals (for `#[path]`), `::` and punctuation; comments, character
/// literals, lifetimes and numbers' suffixes dropped.
fn tokenize(text: &str) -> Vec<Token> {
    let chars: Vec<char> = text.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    let at = |i: usize| chars.get(i).copied().unwrap_or('\0');
    while i < chars.len() {
        let c = chars[i];
        if c == '/' && at(i + 1) == '/' {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && at(i + 1) == '*' {
            let mut nesting = 0;
            while i < chars.len() {
                if chars[i] == '/' && at(i + 1) == '*' {
                    nesting += 1;
                    i += 2;
                } else if chars[i] == '*' && at(i + 1) == '/' {
                    nesting -= 1;
                    i += 2;
                    if nesting == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
        } else if c == '"' {
            let (s, next) = quoted(&chars, i + 1);
            tokens.push(Token::Str(s));
            i = next;
        } else if c == '\'' {
            if at(i + 1) == '\\' {
                i += 3; // the quote, the backslash and the escaped character
                while i < chars.len() && chars[i] != '\'' {
                    i += 1;
                }
                i += 1;
            } else if at(i + 2) == '\'' {
                i += 3;
            } else {
                i += 1; // a lifetime or label: its name follows as an identifier
            }
        } else if c.is_alphabetic() || c == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            let word: String = chars[start..i].iter().collect();
            let raw_string = matches!(word.as_str(), "r" | "br" | "cr")
                && (at(i) == '"' || (at(i) == '#' && matches!(at(i + 1), '#' | '"')));
            if raw_string {
                let mut hashes = 0;
                while at(i) == '#' {
                    hashes += 1;
                    i += 1;
                }
                i += 1; // the opening quote
                let start = i;
                loop {
                    if i >= chars.len() {
                        break;
                    }
                    if chars[i] == '"' && (1..=hashes).all(|h| at(i + h) == '#') {
                        break;
                    }
                    i += 1;
                }
                tokens.push(Token::Str(
                    chars[start..i.min(chars.len())].iter().collect(),
                ));
                i += 1 + hashes;
            } else if word == "r" && at(i) == '#' {
                i += 1; // a raw identifier: `r#name`
            } else if matches!(word.as_str(), "b" | "c") && at(i) == '"' {
                // b"..." / c"...": the string follows
            } else {
                tokens.push(Token::Ident(word));
            }
        } else if c.is_ascii_digit() {
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
        } else if c == ':' && at(i + 1) == ':' {
            tokens.push(Token::PathSep);
            i += 2;
        } else {
            if !c.is_whitespace() {
                tokens.push(Token::Punct(c));
            }
            i += 1;
        }
    }
    tokens
}

/// The text of a `"..."` literal starting after its quote, and the index after it.
fn quoted(chars: &[char], mut i: usize) -> (String, usize) {
    let mut s = String::new();
    while i < chars.len() && chars[i] != '"' {
        if chars[i] == '\\' {
            i += 1;
        }
        if let Some(&c) = chars.get(i) {
            s.push(c);
        }
        i += 1;
    }
    (s, i + 1)
}

/// The checker itself, on crates written in memory.
mod checker {
    use super::*;

    fn graph(files: &[(&str, &str)]) -> FileGraph {
        let files: HashMap<PathBuf, String> = files
            .iter()
            .map(|(p, t)| (PathBuf::from("/mem").join(p), t.to_string()))
            .collect();
        FileGraph::read(Path::new("/mem"), &["src/lib.rs"], &|p: &Path| {
            files.get(p).cloned()
        })
        .expect("the crate reads")
    }

    fn cycle_files(graph: &FileGraph) -> Vec<Vec<String>> {
        graph
            .cycles()
            .into_iter()
            .map(|c| c.into_iter().map(|s| s.file).collect())
            .collect()
    }

    #[test]
    fn a_circle_of_three_files_is_found_with_its_paths() {
        let g = graph(&[
            ("src/lib.rs", "mod a; mod b; pub mod c;"),
            ("src/a.rs", "use crate::b::B; pub struct A;"),
            ("src/b.rs", "pub struct B; fn f() { crate::c::g(); }"),
            ("src/c.rs", "use super::a::{self, A}; pub fn g() {}"),
        ]);
        let cycles = graph_cycles_described(&g);
        assert_eq!(cycles.len(), 1, "{cycles:?}");
        assert!(
            cycles[0].contains("src/a.rs -> src/b.rs   (crate::b::B)"),
            "{}",
            cycles[0]
        );
        assert!(
            cycles[0].contains("src/b.rs -> src/c.rs   (crate::c::g)"),
            "{}",
            cycles[0]
        );
        assert!(
            cycles[0].contains("src/c.rs -> src/a.rs   (super::a::A)"),
            "{}",
            cycles[0]
        );
    }

    fn graph_cycles_described(g: &FileGraph) -> Vec<String> {
        g.cycles().iter().map(|c| describe(c)).collect()
    }

    #[test]
    fn two_siblings_using_each_other_are_a_cycle() {
        let g = graph(&[
            ("src/lib.rs", "mod runtime;\nmod session;"),
            ("src/runtime.rs", "use crate::session::HostState;"),
            (
                "src/session.rs",
                "pub struct HostState; fn f(r: &crate::runtime::Runtime) {}",
            ),
        ]);
        assert_eq!(
            cycle_files(&g),
            [["src/runtime.rs".to_string(), "src/session.rs".to_string()]]
        );
    }

    #[test]
    fn a_module_and_its_sub_modules_may_use_each_other() {
        let g = graph(&[
            ("src/lib.rs", "pub mod creds;\npub use creds::Credentials;"),
            (
                "src/creds/mod.rs",
                "mod value;\nmod sts;\npub use value::Credentials;\n\
                 pub fn fetch() -> Credentials { sts::call() }\nfn helper() {}",
            ),
            ("src/creds/value.rs", "pub struct Credentials;"),
            (
                "src/creds/sts.rs",
                "use super::{helper, Credentials};\npub fn call() {}",
            ),
        ]);
        assert_eq!(cycle_files(&g), Vec::<Vec<String>>::new());
    }

    #[test]
    fn a_re_export_leads_to_the_defining_file() {
        // config uses the value type through the parent's re-export: no cycle with the
        // planner, which reads config.
        let g = graph(&[
            ("src/lib.rs", "mod config;\nmod creds;"),
            (
                "src/config.rs",
                "use crate::creds::Credentials;\npub struct Settings;",
            ),
            (
                "src/creds/mod.rs",
                "mod value;\nmod plan;\npub use value::Credentials;",
            ),
            ("src/creds/value.rs", "pub struct Credentials;"),
            ("src/creds/plan.rs", "use crate::config::Settings;"),
        ]);
        assert_eq!(cycle_files(&g), Vec::<Vec<String>>::new());
        assert!(g.edges["src/config.rs"].contains_key("src/creds/value.rs"));
        // The same with the value type written in the parent is a cycle through three files.
        let g = graph(&[
            ("src/lib.rs", "mod config;\nmod creds;"),
            (
                "src/config.rs",
                "use crate::creds::Credentials;\npub struct Settings;",
            ),
            (
                "src/creds/mod.rs",
                "mod plan;\npub struct Credentials;\nfn f() { plan::plan() }",
            ),
            (
                "src/creds/plan.rs",
                "use crate::config::Settings;\npub fn plan() {}",
            ),
        ]);
        assert_eq!(cycle_files(&g).len(), 1);
    }

    #[test]
    fn module_aliases_inline_modules_and_path_attributes_are_followed() {
        let g = graph(&[
            (
                "src/lib.rs",
                "#[path = \"other.rs\"]\nmod naming;\nmod ssm;\nmod sts;\n\
                 #[cfg(test)]\nmod tests { use super::*; }",
            ),
            (
                "src/other.rs",
                "// a comment naming crate::sts::x\nconst S: &str = \"crate::ssm::y\";",
            ),
            (
                "src/ssm.rs",
                "use crate::sts as s;\nfn f() { s::parse(); let c = 'x'; }",
            ),
            (
                "src/sts.rs",
                "use crate::{naming, ssm::{self}};\nfn g<'a>() { ssm::f(); naming::N; }",
            ),
        ]);
        assert_eq!(
            cycle_files(&g),
            [["src/ssm.rs".to_string(), "src/sts.rs".to_string()]]
        );
        assert!(
            !g.edges.contains_key("src/other.rs"),
            "comments and strings are not paths"
        );
        assert!(g.edges["src/sts.rs"].contains_key("src/other.rs"));
    }
}
