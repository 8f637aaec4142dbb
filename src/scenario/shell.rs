//! Splits a command line into words as a POSIX shell does for the simple cases a timeline needs:
//! whitespace, single quotes, double quotes (with `\` escapes) and bare backslashes.

/// The words of `line`, or why it cannot be split (an unterminated quote).
pub(super) fn split(line: &str) -> Result<Vec<String>, String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            c if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            '\'' => {
                in_word = true;
                single_quoted(&mut chars, &mut word)?;
            }
            '"' => {
                in_word = true;
                double_quoted(&mut chars, &mut word)?;
            }
            '\\' => {
                in_word = true;
                // A backslash before a newline joins lines; before anything else it quotes it.
                match chars.next() {
                    Some('\n') | None => {}
                    Some(next) => word.push(next),
                }
            }
            c => {
                in_word = true;
                word.push(c);
            }
        }
    }
    if in_word {
        words.push(word);
    }
    Ok(words)
}

fn single_quoted(chars: &mut std::str::Chars<'_>, word: &mut String) -> Result<(), String> {
    for c in chars.by_ref() {
        if c == '\'' {
            return Ok(());
        }
        word.push(c);
    }
    Err("unterminated single quote".to_string())
}

/// Inside double quotes a backslash escapes only `$`, `` ` ``, `"`, `\` and newline.
fn double_quoted(chars: &mut std::str::Chars<'_>, word: &mut String) -> Result<(), String> {
    while let Some(c) = chars.next() {
        match c {
            '"' => return Ok(()),
            '\\' => match chars.next() {
                Some(n @ ('$' | '`' | '"' | '\\')) => word.push(n),
                Some('\n') => {}
                Some(n) => {
                    word.push('\\');
                    word.push(n);
                }
                None => break,
            },
            c => word.push(c),
        }
    }
    Err("unterminated double quote".to_string())
}

#[cfg(test)]
mod tests {
    use super::split;

    #[test]
    fn splits_like_a_shell() {
        assert_eq!(split("  a  b\tc ").unwrap(), ["a", "b", "c"]);
        assert_eq!(split("a 'b c' \"d \\\"e\\\" \\n\" f\\ g").unwrap(), ["a", "b c", "d \"e\" \\n", "f g"]);
        assert_eq!(split("x='' y\"\"").unwrap(), ["x=", "y"]);
        assert_eq!(split("''").unwrap(), [""]);
        assert!(split("a 'b").is_err());
        assert!(split("a \"b").is_err());
    }
}
