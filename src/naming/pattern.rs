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
//! The parser (`parse`, into `syntax`) and the compiler (`compile`) are sub-modules; this file
//! is the pattern and its matcher.

mod compile;
mod parse;
mod syntax;

use compile::{Inst, MAX_PROGRAM, compile};
use parse::Parser;
use syntax::{Look, is_word};

/// A compiled lookup pattern.
#[derive(Debug, Clone)]
pub struct Pattern {
    program: Vec<Inst>,
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
