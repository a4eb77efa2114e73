//! Parsing a lookup pattern into [`Node`]s: the accepted part of Python's `re` syntax, and an
//! error naming what is refused.

use super::syntax::{Class, Item, Look, Node, Parsed, Set};

/// A recursive-descent parser over the pattern's characters.
pub(super) struct Parser<'a> {
    pub(super) chars: std::iter::Peekable<std::str::Chars<'a>>,
}

impl Parser<'_> {
    fn eat(&mut self, c: char) -> bool {
        self.chars.next_if_eq(&c).is_some()
    }

    fn next(&mut self, what: &str) -> Parsed<char> {
        self.chars
            .next()
            .ok_or_else(|| format!("unterminated {what}"))
    }

    /// `a|b|...` at nesting `depth`.
    pub(super) fn alternation(&mut self, depth: u32) -> Parsed<Node> {
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
