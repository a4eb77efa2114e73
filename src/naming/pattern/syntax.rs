//! The parsed form of a lookup pattern: nodes, character sets and their classes, anchors.
//! The vocabulary the parser writes and the compiler and matcher read.

/// What the parser and compiler answer: the value, or why the pattern is refused.
pub(super) type Parsed<T> = Result<T, String>;

#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Look {
    /// `^` and `\A`.
    Start,
    /// `$`: the end, or before a `\n` that ends the id.
    End,
    /// `\Z`.
    EndOnly,
    WordBoundary,
}

#[derive(Debug, Clone, Default)]
pub(super) struct Set {
    pub(super) negated: bool,
    pub(super) items: Vec<Item>,
}

#[derive(Debug, Clone, Copy)]
pub(super) enum Item {
    Range(char, char),
    /// `\d` / `\w` / `\s`, and whether negated (`\D` ...).
    Class(Class, bool),
}

#[derive(Debug, Clone, Copy)]
pub(super) enum Class {
    Digit,
    Word,
    Space,
}

impl Class {
    pub(super) fn contains(self, c: char) -> bool {
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

    /// Whether `c` is in the set, ASCII case-insensitively.
    pub(super) fn matches(&self, c: char) -> bool {
        let found = self.contains_exactly(c)
            || (c.is_ascii_alphabetic() && self.contains_exactly(swap_case(c)));
        found != self.negated
    }
}

pub(super) fn swap_case(c: char) -> char {
    (c as u8 ^ 0x20) as char
}

pub(super) fn is_word(c: Option<char>) -> bool {
    c.is_some_and(|c| Class::Word.contains(c))
}

/// The parsed pattern.
#[derive(Debug)]
pub(super) enum Node {
    Char(char),
    Any,
    Set(Set),
    Look(Look),
    Concat(Vec<Node>),
    Alternation(Vec<Node>),
    Repeat(Box<Node>, u32, Option<u32>),
}
