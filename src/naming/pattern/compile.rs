//! Compiling parsed [`Node`]s into the matcher's program: one instruction per character, set
//! or anchor, with splits and jumps for alternations and repetitions (counted ones unrolled).

use super::syntax::{Look, Node, Parsed, Set};

/// Counted repetitions are unrolled; a pattern compiling to more instructions is refused.
pub(super) const MAX_PROGRAM: usize = 10_000;

/// One instruction of the program.
#[derive(Debug, Clone)]
pub(super) enum Inst {
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

/// Emits `node` into `program`.
pub(super) fn compile(node: &Node, program: &mut Vec<Inst>) -> Parsed<()> {
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
