//! libyaml's own syntax error for a text that saphyr-parser refused. Mirrors libyaml's
//! `yaml_parser_parse` error reporting (scanner.c `yaml_parser_set_scanner_error`, parser.c
//! `yaml_parser_set_parser_error_context`: a problem at a mark, within a context at another
//! mark) and the way serde_yaml 0.9 showed it (`src/libyaml/error.rs`, `Display for Error`;
//! `src/loader.rs`, the `unknown anchor` check) — what deploysim printed before issue 17 and
//! what Docker's reader, gopkg.in/yaml.v2 (`scannerc.go`, `parserc.go`, a port of libyaml),
//! says in the same words at the same place.
//!
//! The parser is libyaml-rs, the YAML organisation's maintained continuation of unsafe-libyaml
//! (the c2rust translation of libyaml that serde_yaml ran, and that yaml_serde runs): the same
//! code that wrote the expectations of `tests/data/locations.jsonl`. Its interface is libyaml's C
//! one, so this module holds the crate's only `unsafe` blocks, each with what makes it sound.
//! It runs only after saphyr-parser has failed, on a text already within `MAX_INPUT_BYTES` and
//! the flow-depth pre-check, reads events one at a time and frees each, and stops at the first
//! error, at the end of the first document or at the end of the stream.
//!
//! It words errors; it does not decide what is YAML. saphyr-parser and libyaml disagree on a
//! few texts (in 20,000 one-to-three-character mutations of the captured scenario texts, 65
//! that only saphyr refuses, mostly its stricter rules on `:` and `#` after a token, and 76 that
//! only libyaml refuses, such as a line `:  w:`): the first keep saphyr's message, the second
//! load as saphyr reads them.

use std::collections::BTreeSet;
use std::ffi::CStr;
use std::mem::MaybeUninit;

use libyaml_rs as sys;

use super::ParseError;

/// A libyaml parser on the heap (libyaml keeps a pointer to the parser itself as its string
/// reader's state, so it must not move once its input is set), deleted when dropped.
struct Parser<'t> {
    raw: Box<MaybeUninit<sys::yaml_parser_t>>,
    /// The input libyaml reads from; it must outlive the parser.
    _input: &'t [u8],
}

impl<'t> Parser<'t> {
    fn new(input: &'t [u8]) -> Option<Parser<'t>> {
        let mut raw: Box<MaybeUninit<sys::yaml_parser_t>> = Box::new(MaybeUninit::uninit());
        // SAFETY: `yaml_parser_initialize` writes every field of the parser it is given (it
        // zeroes the struct first) and reports allocation failure, in which case nothing was
        // allocated and the parser is dropped without `yaml_parser_delete`.
        if unsafe { sys::yaml_parser_initialize(raw.as_mut_ptr()) }.fail {
            return None;
        }
        // SAFETY: the parser was initialised above and has no input yet; `input` is borrowed
        // for the parser's whole life ('t), and the parser stays in its box.
        unsafe { sys::yaml_parser_set_input_string(raw.as_mut_ptr(), input.as_ptr(), input.len() as _) };
        Some(Parser { raw, _input: input })
    }

    /// The next event, or the parser's error.
    fn next(&mut self) -> Result<Event, ()> {
        let mut event = Event(MaybeUninit::uninit());
        // SAFETY: the parser is initialised with its input set; `yaml_parser_parse` zeroes the
        // event before anything else, so it is always in a state `yaml_event_delete` accepts.
        let ok = unsafe { sys::yaml_parser_parse(self.raw.as_mut_ptr(), event.0.as_mut_ptr()) };
        if ok.fail { Err(()) } else { Ok(event) }
    }

    /// The fields libyaml set when it failed.
    fn error(&self) -> &sys::yaml_parser_t {
        // SAFETY: initialised in `new`; libyaml writes its error fields before failing.
        unsafe { self.raw.assume_init_ref() }
    }
}

impl Drop for Parser<'_> {
    fn drop(&mut self) {
        // SAFETY: only parsers that `yaml_parser_initialize` set up exist; deleted once.
        unsafe { sys::yaml_parser_delete(self.raw.as_mut_ptr()) };
    }
}

/// One event, freed when dropped.
struct Event(MaybeUninit<sys::yaml_event_t>);

impl Event {
    fn get(&self) -> &sys::yaml_event_t {
        // SAFETY: `yaml_parser_parse` wrote (at least zeroed) the whole event.
        unsafe { self.0.assume_init_ref() }
    }

    /// The anchor an alias names, or the one a node defines.
    fn anchor(&self) -> Option<Vec<u8>> {
        let e = self.get();
        // SAFETY: the union member read is the one libyaml fills for the event's type; an
        // anchor is null or a NUL-terminated string owned by the event, alive until it drops.
        let pointer = unsafe {
            match e.type_ {
                sys::YAML_ALIAS_EVENT => e.data.alias.anchor,
                sys::YAML_SCALAR_EVENT => e.data.scalar.anchor,
                sys::YAML_SEQUENCE_START_EVENT => e.data.sequence_start.anchor,
                sys::YAML_MAPPING_START_EVENT => e.data.mapping_start.anchor,
                _ => return None,
            }
        };
        // SAFETY: as above.
        (!pointer.is_null()).then(|| unsafe { CStr::from_ptr(pointer.cast()) }.to_bytes().to_vec())
    }
}

impl Drop for Event {
    fn drop(&mut self) {
        // SAFETY: the event was zeroed or filled by `yaml_parser_parse`; freed once.
        unsafe { sys::yaml_event_delete(self.0.as_mut_ptr()) };
    }
}

/// A static message libyaml set, or "" when it set none.
fn static_text(pointer: *const i8) -> String {
    if pointer.is_null() {
        return String::new();
    }
    // SAFETY: libyaml's problem and context are NUL-terminated string literals.
    unsafe { CStr::from_ptr(pointer.cast()) }.to_string_lossy().into_owned()
}

/// `line L column C`, 1-based, as serde_yaml wrote a libyaml mark.
fn mark_text(mark: &sys::yaml_mark_t) -> String {
    format!("line {} column {}", mark.line + 1, mark.column + 1)
}

/// The 1-based `(line, column)` of a mark.
fn position(mark: &sys::yaml_mark_t) -> (usize, usize) {
    (mark.line as usize + 1, mark.column as usize + 1)
}

/// The 1-based `(line, column)` of a byte offset of `text` (a reader error has only an offset).
fn offset_position(text: &str, offset: usize) -> (usize, usize) {
    let before = text.get(..offset.min(text.len())).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
    (line, column)
}

/// libyaml's first error in `text`'s first document, worded and placed as serde_yaml showed it:
/// `problem at line L column C, context at line L column C` (a mark equal to the problem's, or
/// at the very start, is left out), or serde_yaml's `unknown anchor at …` for an alias naming no
/// earlier anchor (libyaml leaves that to its caller), or serde_yaml's several-documents error.
/// `None` when libyaml reads the text without error (saphyr-parser refused what libyaml takes).
pub(super) fn first_error(text: &str) -> Option<ParseError> {
    let mut parser = Parser::new(text.as_bytes())?;
    let mut anchors = BTreeSet::new();
    let mut first_document_read = false;
    loop {
        let next = parser.next();
        if first_document_read {
            // serde_yaml read the first document whole, then asked for another: anything but
            // the end of the stream, an error included, was a second document.
            if next.as_ref().is_ok_and(|e| e.get().type_ == sys::YAML_STREAM_END_EVENT) {
                return None;
            }
            let message = "deserializing from YAML containing more than one document is not supported";
            return Some(ParseError { message: message.into(), line: None, column: None });
        }
        let Ok(event) = next else { break };
        let e = event.get();
        match e.type_ {
            sys::YAML_STREAM_END_EVENT => return None,
            sys::YAML_DOCUMENT_END_EVENT => first_document_read = true,
            sys::YAML_ALIAS_EVENT => {
                if !event.anchor().is_some_and(|a| anchors.contains(&a)) {
                    let (line, column) = position(&e.start_mark);
                    let message = format!("unknown anchor at {}", mark_text(&e.start_mark));
                    return Some(ParseError { message, line: Some(line), column: Some(column) });
                }
            }
            _ => {
                if let Some(anchor) = event.anchor() {
                    anchors.insert(anchor);
                }
            }
        }
    }
    let p = parser.error();
    let (problem_mark, context_mark) = (p.problem_mark, p.context_mark);
    let at_start = |m: &sys::yaml_mark_t| m.line == 0 && m.column == 0;
    let mut message = static_text(p.problem);
    // serde_yaml: the problem's mark unless it is the very start, else the reader's byte offset
    // unless it is 0. A reader error (a control character) has only the offset, and serde_yaml
    // pointed it at 1:1; here the caret goes where the offset is.
    if !at_start(&problem_mark) {
        message.push_str(&format!(" at {}", mark_text(&problem_mark)));
    } else if p.problem_offset != 0 {
        message.push_str(&format!(" at position {}", p.problem_offset));
    }
    let (line, column) = if p.error == sys::YAML_READER_ERROR {
        offset_position(text, p.problem_offset as usize)
    } else {
        position(&problem_mark)
    };
    let context = static_text(p.context);
    if !context.is_empty() {
        message.push_str(&format!(", {context}"));
        let same = (context_mark.line, context_mark.column) == (problem_mark.line, problem_mark.column);
        if !at_start(&context_mark) && !same {
            message.push_str(&format!(" at {}", mark_text(&context_mark)));
        }
    }
    Some(ParseError { message, line: Some(line), column: Some(column) })
}
