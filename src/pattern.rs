//! The lookup patterns: Python's `re.match(pattern, id, re.IGNORECASE)` for the part of the
//! `re` syntax whose meaning we reproduce exactly, in a few KB instead of a regex engine.
//!
//! Accepted: literals, `.`, `^`, `$`, `\A`, `\Z`, `\b`, `|`, groups `(...)` and `(?:...)`,
//! `*`, `+`, `?`, `{m}`, `{m,}`, `{,n}`, `{m,n}` (greedy or lazy), sets `[...]` / `[^...]` with
//! ranges, `\d \D \w \W \s \S`, and the escapes `\a \f \n \r \t \v \xhh \uhhhh \Uhhhhhhhh` and
//! `\` + punctuation. Refused with an error (never guessed at): look-around, back-references,
//! named groups, inline flags, comments, conditionals, possessive quantifiers, octal and `\N`
//! escapes, `\B` (its answer on an empty id changed in Python 3.14), a `{` that is not a
//! repetition, a `[` inside a set, and what Python itself refuses.
//! As documented, `\d`, `\w`, `\b` and case-insensitivity are ASCII (Python's are Unicode);
//! `\s` is Python's, `.` is any character but `\n`, `$` also matches before a final `\n`.
//!
//! Matching runs the compiled program as a Thompson NFA: linear in the id, no backtracking.

/// Counted repetitions are unrolled; a pattern compiling to more instructions is refused.
const MAX_PROGRAM: usize = 10_000;

/// A compiled lookup pattern.
#[derive(Debug, Clone)]
pub struct Pattern {
    program: Vec<Inst>,
}

#[derive(Debug, Clone)]
enum Inst {
    /// One character, compared ASCII case-insensitively.
    Char(char),
    /// Any character but `\n`.
    Any,
    Set(Box<Set>),
    Look(Look),
    /// Continue at both (an alternation or a repetition).
    Split(usize, usize),
    Jump(usize),
    Match,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Look {
    /// `^` and `\A`.
    Start,
    /// `$`: the end, or before a `\n` that ends the id.
    End,
    /// `\Z`.
    EndOnly,
    WordBoundary,
}

#[derive(Debug, Clone, Default)]
struct Set {
    negated: bool,
    items: Vec<Item>,
}

#[derive(Debug, Clone, Copy)]
enum Item {
    Range(char, char),
    /// `\d` / `\w` / `\s`, and whether negated (`\D` ...).
    Class(Class, bool),
}

#[derive(Debug, Clone, Copy)]
enum Class {
    Digit,
    Word,
    Space,
}

impl Class {
    fn contains(self, c: char) -> bool {
        match self {
            Class::Digit => c.is_ascii_digit(),
            Class::Word => c.is_ascii_alphanumeric() || c == '_',
            // Python's `str.isspace()` (what `\s` matches in a str pattern).
            Class::Space => matches!(
                c,
                '\t'..='\r'
                    | '\x1c'..=' '
                    | '\u{85}'
                    | '\u{a0}'
                    | '\u{1680}'
                    | '\u{2000}'..='\u{200a}'
                    | '\u{2028}'
                    | '\u{2029}'
                    | '\u{202f}'
                    | '\u{205f}'
                    | '\u{3000}'
            ),
        }
    }
}

impl Set {
    fn contains_exactly(&self, c: char) -> bool {
        self.items.iter().any(|item| match *item {
            Item::Range(lo, hi) => lo <= c && c <= hi,
            Item::Class(class, negated) => class.contains(c) != negated,
        })
    }

    fn matches(&self, c: char) -> bool {
        let found = self.contains_exactly(c)
            || (c.is_ascii_alphabetic() && self.contains_exactly(swap_case(c)));
        found != self.negated
    }
}

fn swap_case(c: char) -> char {
    (c as u8 ^ 0x20) as char
}

fn is_word(c: Option<char>) -> bool {
    c.is_some_and(|c| Class::Word.contains(c))
}

/// The parsed pattern.
#[derive(Debug)]
enum Node {
    Char(char),
    Any,
    Set(Set),
    Look(Look),
    Concat(Vec<Node>),
    Alternation(Vec<Node>),
    Repeat(Box<Node>, u32, Option<u32>),
}

struct Parser<'a> {
    chars: std::iter::Peekable<std::str::Chars<'a>>,
}

type Parsed<T> = Result<T, String>;

impl Parser<'_> {
    fn eat(&mut self, c: char) -> bool {
        self.chars.next_if_eq(&c).is_some()
    }

    fn next(&mut self, what: &str) -> Parsed<char> {
        self.chars
            .next()
            .ok_or_else(|| format!("unterminated {what}"))
    }

    fn alternation(&mut self, depth: u32) -> Parsed<Node> {
        let mut branches = vec![self.concat(depth)?];
        while self.eat('|') {
            branches.push(self.concat(depth)?);
        }
        Ok(if branches.len() == 1 {
            branches.pop().unwrap_or(Node::Concat(Vec::new()))
        } else {
            Node::Alternation(branches)
        })
    }

    fn concat(&mut self, depth: u32) -> Parsed<Node> {
        let mut items = Vec::new();
        while let Some(&c) = self.chars.peek() {
            if c == '|' || c == ')' {
                break;
            }
            self.chars.next();
            let atom = match c {
                '(' => self.group(depth)?,
                '[' => Node::Set(self.set()?),
                '.' => Node::Any,
                '^' => Node::Look(Look::Start),
                '$' => Node::Look(Look::End),
                '\\' => self.escape()?,
                '*' | '+' | '?' => return Err("nothing to repeat".into()),
                '{' => match self.counts()? {
                    Some(_) => return Err("nothing to repeat".into()),
                    None => return Err("a `{` that is not a repetition".into()),
                },
                c => Node::Char(c),
            };
            items.push(self.repeat(atom)?);
        }
        Ok(Node::Concat(items))
    }

    fn group(&mut self, depth: u32) -> Parsed<Node> {
        if depth >= 100 {
            return Err("groups nested too deeply".into());
        }
        if self.eat('?') && !self.eat(':') {
            return Err("only `(?:...)` of the `(?...)` extensions is supported".into());
        }
        let inner = self.alternation(depth + 1)?;
        if !self.eat(')') {
            return Err("missing ), unterminated subpattern".into());
        }
        Ok(inner)
    }

    /// `{m}`, `{m,}`, `{,n}` or `{m,n}` after the `{`; `None` when it is not one.
    fn counts(&mut self) -> Parsed<Option<(u32, Option<u32>)>> {
        let mut text = String::new();
        while let Some(c) = self.chars.next_if(|c| c.is_ascii_digit() || *c == ',') {
            text.push(c);
        }
        if !self.eat('}') {
            return Ok(None);
        }
        let number = |s: &str| -> Parsed<Option<u32>> {
            match s {
                "" => Ok(None),
                s if s.contains(',') => Err("a `{` that is not a repetition".into()),
                s => s
                    .parse()
                    .ok()
                    .filter(|n| *n <= 1000)
                    .map(Some)
                    .ok_or_else(|| "repetition count above 1000".into()),
            }
        };
        let (min, max) = match text.split_once(',') {
            Some((lo, hi)) => (number(lo)?.unwrap_or(0), number(hi)?),
            None if text.is_empty() => return Ok(None),
            None => {
                let n = number(&text)?;
                (n.unwrap_or(0), n)
            }
        };
        if max.is_some_and(|max| max < min) {
            return Err("min repeat greater than max repeat".into());
        }
        Ok(Some((min, max)))
    }

    fn repeat(&mut self, atom: Node) -> Parsed<Node> {
        let (min, max) = match self.chars.peek() {
            Some('*') => (0, None),
            Some('+') => (1, None),
            Some('?') => (0, Some(1)),
            Some('{') => {
                self.chars.next();
                match self.counts()? {
                    Some(counts) => {
                        self.repeat_suffix(&atom)?;
                        return Ok(Node::Repeat(Box::new(atom), counts.0, counts.1));
                    }
                    None => return Err("a `{` that is not a repetition".into()),
                }
            }
            _ => return Ok(atom),
        };
        self.chars.next();
        self.repeat_suffix(&atom)?;
        Ok(Node::Repeat(Box::new(atom), min, max))
    }

    /// After a quantifier: an optional lazy `?`; the repeated item must not be an assertion,
    /// and a second quantifier (Python's error, or a possessive one) is refused.
    fn repeat_suffix(&mut self, atom: &Node) -> Parsed<()> {
        if matches!(atom, Node::Look(_)) {
            return Err("nothing to repeat".into());
        }
        self.eat('?');
        match self.chars.peek() {
            Some('*' | '+' | '?' | '{') => Err("multiple repeat".into()),
            _ => Ok(()),
        }
    }

    /// An escape outside a set, after the `\`.
    fn escape(&mut self) -> Parsed<Node> {
        let c = self.next("escape")?;
        Ok(match c {
            'A' => Node::Look(Look::Start),
            'Z' => Node::Look(Look::EndOnly),
            'b' => Node::Look(Look::WordBoundary),
            'B' => return Err("unsupported escape \\B".into()),
            _ => match self.escape_item(c)? {
                Item::Range(c, _) => Node::Char(c),
                class => Node::Set(Set {
                    negated: false,
                    items: vec![class],
                }),
            },
        })
    }

    /// The escapes valid in and out of sets: classes, control characters, code points,
    /// punctuation.
    fn escape_item(&mut self, c: char) -> Parsed<Item> {
        let class = |class, negated| Ok(Item::Class(class, negated));
        let char = |c| Ok(Item::Range(c, c));
        match c {
            'd' => class(Class::Digit, false),
            'D' => class(Class::Digit, true),
            'w' => class(Class::Word, false),
            'W' => class(Class::Word, true),
            's' => class(Class::Space, false),
            'S' => class(Class::Space, true),
            'a' => char('\x07'),
            'f' => char('\x0c'),
            'n' => char('\n'),
            'r' => char('\r'),
            't' => char('\t'),
            'v' => char('\x0b'),
            'x' => char(self.code_point(2)?),
            'u' => char(self.code_point(4)?),
            'U' => char(self.code_point(8)?),
            c if c.is_ascii_alphanumeric() => Err(format!("unsupported escape \\{c}")),
            c => char(c),
        }
    }

    fn code_point(&mut self, digits: usize) -> Parsed<char> {
        let mut value = 0u32;
        for _ in 0..digits {
            let digit = self
                .chars
                .next_if(char::is_ascii_hexdigit)
                .and_then(|c| c.to_digit(16))
                .ok_or("incomplete escape")?;
            value = value * 16 + digit;
        }
        char::from_u32(value).ok_or_else(|| "bad escape (not a code point)".into())
    }

    /// A set, after the `[` (Python's rules: a leading `]` is a member, `-` first or last is a
    /// member, a range's ends are single characters in order).
    fn set(&mut self) -> Parsed<Set> {
        let mut set = Set {
            negated: self.eat('^'),
            items: Vec::new(),
        };
        let mut first = true;
        loop {
            let c = self.next("character set")?;
            if c == ']' && !first {
                return Ok(set);
            }
            first = false;
            let start = self.set_item(c)?;
            if !self.eat('-') {
                set.items.push(start);
                continue;
            }
            let c = self.next("character set")?;
            if c == ']' {
                set.items.extend([start, Item::Range('-', '-')]);
                return Ok(set);
            }
            match (start, self.set_item(c)?) {
                (Item::Range(lo, _), Item::Range(hi, _)) if lo <= hi => {
                    set.items.push(Item::Range(lo, hi))
                }
                _ => return Err("bad character range".into()),
            }
        }
    }

    fn set_item(&mut self, c: char) -> Parsed<Item> {
        match c {
            '[' => Err("a `[` inside a set".into()),
            '\\' => match self.next("escape")? {
                'b' => Ok(Item::Range('\x08', '\x08')),
                c => self.escape_item(c),
            },
            c => Ok(Item::Range(c, c)),
        }
    }
}

/// Emits `node` into `program`.
fn compile(node: &Node, program: &mut Vec<Inst>) -> Parsed<()> {
    if program.len() > MAX_PROGRAM {
        return Err("the pattern is too large".into());
    }
    match node {
        Node::Char(c) => program.push(Inst::Char(*c)),
        Node::Any => program.push(Inst::Any),
        Node::Set(set) => program.push(Inst::Set(Box::new(set.clone()))),
        Node::Look(look) => program.push(Inst::Look(*look)),
        Node::Concat(items) => {
            for item in items {
                compile(item, program)?;
            }
        }
        Node::Alternation(branches) => {
            // split(b1, next) b1 jump(end) split(b2, next) b2 jump(end) ... bn
            let mut jumps = Vec::new();
            for (i, branch) in branches.iter().enumerate() {
                let last = i + 1 == branches.len();
                let split = program.len();
                if !last {
                    program.push(Inst::Split(split + 1, 0));
                }
                compile(branch, program)?;
                if !last {
                    jumps.push(program.len());
                    program.push(Inst::Jump(0));
                    let next = program.len();
                    program[split] = Inst::Split(split + 1, next);
                }
            }
            let end = program.len();
            for jump in jumps {
                program[jump] = Inst::Jump(end);
            }
        }
        Node::Repeat(item, min, max) => {
            for _ in 0..*min {
                compile(item, program)?;
            }
            match max {
                None => {
                    // loop: split(body, end) body jump(loop)
                    let split = program.len();
                    program.push(Inst::Split(split + 1, 0));
                    compile(item, program)?;
                    program.push(Inst::Jump(split));
                    let end = program.len();
                    program[split] = Inst::Split(split + 1, end);
                }
                Some(max) => {
                    // (max - min) times: split(body, end) body
                    let mut splits = Vec::new();
                    for _ in *min..*max {
                        splits.push(program.len());
                        program.push(Inst::Split(0, 0));
                        compile(item, program)?;
                    }
                    let end = program.len();
                    for split in splits {
                        program[split] = Inst::Split(split + 1, end);
                    }
                }
            }
        }
    }
    Ok(())
}

impl Pattern {
    /// Parses and compiles `pattern`; the error says why it is refused.
    pub fn new(pattern: &str) -> Result<Self, String> {
        let mut parser = Parser {
            chars: pattern.chars().peekable(),
        };
        let node = parser.alternation(0)?;
        if parser.chars.next().is_some() {
            return Err("unbalanced parenthesis".into());
        }
        let mut program = Vec::new();
        compile(&node, &mut program)?;
        program.push(Inst::Match);
        if program.len() > MAX_PROGRAM {
            return Err("the pattern is too large".into());
        }
        Ok(Pattern { program })
    }

    /// `re.match(pattern, text, re.IGNORECASE) is not None`.
    pub fn matches(&self, text: &str) -> bool {
        let len = self.program.len();
        // Threads at the current and next position, and a per-step mark of queued states.
        let mut current: Vec<usize> = Vec::with_capacity(len);
        let mut next: Vec<usize> = Vec::with_capacity(len);
        let mut marks = vec![usize::MAX; len];
        let mut stack = Vec::new();
        let mut chars = text.chars();
        let mut previous = None;
        let mut at = chars.clone().next();
        let mut step = 0;
        if self.add(
            &mut current,
            &mut marks,
            &mut stack,
            0,
            step,
            previous,
            &chars,
        ) {
            return true;
        }
        while let Some(c) = at {
            if current.is_empty() {
                return false;
            }
            chars.next();
            step += 1;
            previous = Some(c);
            at = chars.clone().next();
            next.clear();
            for &pc in &current {
                let pass = match &self.program[pc] {
                    Inst::Char(want) => {
                        *want == c || (want.is_ascii_alphabetic() && want.eq_ignore_ascii_case(&c))
                    }
                    Inst::Any => c != '\n',
                    Inst::Set(set) => set.matches(c),
                    _ => false,
                };
                if pass
                    && self.add(
                        &mut next,
                        &mut marks,
                        &mut stack,
                        pc + 1,
                        step,
                        previous,
                        &chars,
                    )
                {
                    return true;
                }
            }
            std::mem::swap(&mut current, &mut next);
        }
        false
    }

    /// Queues `pc` and the states reachable from it without reading a character; true when
    /// that reaches the match.
    #[allow(clippy::too_many_arguments)]
    fn add(
        &self,
        queue: &mut Vec<usize>,
        marks: &mut [usize],
        stack: &mut Vec<usize>,
        pc: usize,
        step: usize,
        previous: Option<char>,
        rest: &std::str::Chars<'_>,
    ) -> bool {
        stack.push(pc);
        while let Some(pc) = stack.pop() {
            if marks[pc] == step {
                continue;
            }
            marks[pc] = step;
            match self.program[pc] {
                Inst::Match => return true,
                Inst::Jump(to) => stack.push(to),
                Inst::Split(a, b) => stack.extend([b, a]),
                Inst::Look(look) => {
                    let mut after = rest.clone();
                    let following = after.next();
                    let holds = match look {
                        Look::Start => previous.is_none() && step == 0,
                        Look::EndOnly => following.is_none(),
                        Look::End => {
                            following.is_none()
                                || (following == Some('\n') && after.next().is_none())
                        }
                        Look::WordBoundary => is_word(previous) != is_word(following),
                    };
                    if holds {
                        stack.push(pc + 1);
                    }
                }
                _ => queue.push(pc),
            }
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::Pattern;

    fn m(pattern: &str, text: &str) -> bool {
        Pattern::new(pattern)
            .unwrap_or_else(|e| panic!("{pattern:?}: {e}"))
            .matches(text)
    }

    #[test]
    fn matches_like_python_re_match_ignorecase() {
        // (pattern, text, re.match(pattern, text, re.I) is not None), as CPython 3.11 answers.
        for (pattern, text, want) in [
            ("te", "test_conn", true),
            ("T.*", "test", true),
            ("conn", "test_conn", false),
            ("aws_.*|s3_.*", "S3_logs", true),
            ("aws_.*|s3_.*", "gcp_x", false),
            ("test$", "test_conn", false),
            ("test$", "test", true),
            ("test$", "test\n", true),
            ("test\\Z", "test\n", false),
            ("^sql", "sql_alchemy_conn", true),
            ("^sql", "x_sql", false),
            ("^(db|api|missing)", "api_x", true),
            ("^(db|api|missing)", "web", false),
            ("^(a|b|empty|missing)$", "empty", true),
            ("^(a|b|empty|missing)$", "emptyx", false),
            ("", "anything", true),
            ("a|", "b", true),
            ("(?:ab)+c", "ABABc", true),
            ("(?:ab)+c", "ac", false),
            ("a{2,3}$", "aaa", true),
            ("a{2,3}$", "aaaa", false),
            ("a{2}", "a", false),
            ("a{,2}b", "aab", true),
            ("a{2,}b", "aaaab", true),
            ("a{,}b", "b", true),
            ("[a-c]+x", "ABCx", true),
            ("[^a-c]", "B", false),
            ("[^a-c]", "d", true),
            ("[]a]", "]", true),
            ("[^]]", "]", false),
            ("[a-]", "-", true),
            ("[-a]", "-", true),
            ("[\\d_]+$", "12_3", true),
            ("\\w+$", "db_1", true),
            ("\\w+$", "db-1", false),
            ("\\W", "-", true),
            ("\\s", "\u{a0}", true),
            ("\\S", " ", false),
            ("a.c", "a\nc", false),
            ("a.c", "aéc", true),
            ("\\bdb\\b", "db-x", true),
            ("a\\.b", "a.b", true),
            ("a\\.b", "axb", false),
            ("\\x41\\u0042", "ab", true),
            ("[\\x41-\\x43]", "b", true),
            ("a*?b", "aab", true),
            ("(a*)*b", "aaaaaaaaaac", false),
            ("}", "}", true),
            ("]", "]", true),
            ("[Z-a]", "z", true),
            ("[Z-a]", "A", true),
            ("[Z-a]", "_", true),
            ("[Z-a]", "b", false),
            ("\\s", "\x1c", true),
            ("\\s", "\x0b", true),
            ("[\\b]", "\x08", true),
            ("a{0}b", "b", true),
            ("(|a)b", "ab", true),
        ] {
            assert_eq!(m(pattern, text), want, "{pattern:?} on {text:?}");
        }
    }

    #[test]
    fn classes_and_case_are_ascii_as_documented() {
        // Python's are Unicode: it matches both of these.
        assert!(!m("\\d", "\u{663}"));
        assert!(!m("é", "É"));
    }

    #[test]
    fn refuses_what_it_does_not_reproduce() {
        for pattern in [
            "(",
            ")",
            "a)",
            "[",
            "[a",
            "*",
            "+a",
            "a**",
            "a*+",
            "a{2}{3}",
            "^*",
            "(?=a)",
            "(?!a)",
            "(?<=a)",
            "(?P<n>a)",
            "(?i)a",
            "(?#c)",
            "\\1",
            "\\0",
            "\\N{DIGIT ONE}",
            "\\q",
            "a{",
            "a{x}",
            "a{}",
            "{1}",
            "a{3,2}",
            "[z-a]",
            "[a-\\d]",
            "[[:alpha:]]",
            "\\x4",
            "\\z",
            "a{1001}",
            "\\B",
        ] {
            assert!(Pattern::new(pattern).is_err(), "{pattern:?} was accepted");
        }
    }
}
