//! What a timeline `run:` line feeds to standard input, as a POSIX shell separates it from the
//! command: earlier pipeline stages (`echo V |`, `printf '%s' V |`), and input redirections
//! (`<<< V`, a heredoc `<<EOF`, `< FILE`). That material is secret whatever the command is
//! (only `docker secret create NAME -` reads it), so it is never shown, logged or hashed: this
//! module finds it without needing to recognise the command, both in a parsed `run:` string and
//! in the raw YAML text of a file that may not even parse.

/// What stands in for hidden standard-input material wherever a command is shown.
pub(super) const HIDDEN: &str = "<stdin hidden>";

/// A `run:` line cut where the shell would cut it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Split<'a> {
    /// Everything before the last command, up to its separator: earlier pipeline stages or
    /// commands (`echo V `). Empty when the command stands alone.
    pub before: &'a str,
    /// The separator that ends `before`: `|` for a pipe, `;`, `&` or a newline otherwise.
    pub separator: Option<char>,
    /// The last command without its input redirection.
    pub command: &'a str,
    /// The command's first input redirection and everything after it (`<<< V`, `<<EOF\nV\nEOF`,
    /// `< FILE`), empty when there is none.
    pub redirect: &'a str,
}

impl Split<'_> {
    /// Whether anything reaches the command's standard input (or comes before it).
    pub(super) fn has_feed(&self) -> bool {
        !self.before.is_empty() || self.separator.is_some() || !self.redirect.is_empty()
    }
}

/// Cuts `line` as a shell does: the last unquoted `|`, `;`, `&` or newline ends the earlier
/// commands, the first unquoted `<` after it starts the input redirection (which, holding a
/// heredoc body, runs to the end). Quotes (`'…'`, `"…"`, `$'…'`) and backslashes are honoured;
/// a line that ends inside a quote cannot be cut reliably and is an error.
pub(super) fn split(line: &str) -> Result<Split<'_>, String> {
    let mut command_start = 0;
    let mut separator = None;
    let mut chars = line.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match c {
            '\\' => {
                chars.next();
            }
            '\'' => skip_quoted(&mut chars, '\'', false).ok_or("unterminated single quote")?,
            '"' => skip_quoted(&mut chars, '"', true).ok_or("unterminated double quote")?,
            '$' if chars.peek().is_some_and(|(_, n)| *n == '\'') => {
                chars.next();
                // Bash's ANSI-C quoting: a backslash escapes the next character, `\'` included.
                skip_quoted(&mut chars, '\'', true).ok_or("unterminated single quote")?;
            }
            '|' | ';' | '&' | '\n' => {
                command_start = i + c.len_utf8();
                separator = Some(c);
            }
            '<' => {
                return Ok(Split {
                    before: &line[..cut_start(line, command_start, separator)],
                    separator,
                    command: &line[command_start..i],
                    redirect: &line[i..],
                });
            }
            _ => {}
        }
    }
    Ok(Split {
        before: &line[..cut_start(line, command_start, separator)],
        separator,
        command: &line[command_start..],
        redirect: "",
    })
}

/// Where `before` ends: just before the separator (all of `||` or `&&`).
fn cut_start(line: &str, command_start: usize, separator: Option<char>) -> usize {
    match separator {
        Some(_) => line[..command_start].trim_end_matches(['|', ';', '&', '\n']).trim_end().len(),
        None => 0,
    }
}

/// Skips to the closing `quote`; `escapes`: a backslash protects the next character.
fn skip_quoted(chars: &mut std::iter::Peekable<std::str::CharIndices<'_>>, quote: char, escapes: bool) -> Option<()> {
    while let Some((_, c)) = chars.next() {
        if c == quote {
            return Some(());
        }
        if escapes && c == '\\' {
            chars.next();
        }
    }
    None
}

/// `line` as it may be shown in a log, a report or an error: whatever is fed to standard input
/// is replaced by [`HIDDEN`], so is anything before the last command. A line that cannot be cut
/// (an open quote) is cut at every `|`, `;`, `&`, newline and `<`, quoted or not.
pub(super) fn shown(line: &str) -> String {
    let line = line.trim();
    match split(line) {
        Ok(s) if !s.has_feed() => s.command.to_string(),
        Ok(s) => {
            let mut out = String::new();
            if let Some(sep) = s.separator {
                let sep = if sep == '\n' { ';' } else { sep };
                out.push_str(&format!("{HIDDEN} {sep} "));
            }
            out.push_str(s.command.trim());
            if !s.redirect.is_empty() {
                out.push_str(&format!(" {HIDDEN}"));
            }
            out
        }
        Err(_) => shown_unquoted(line, true),
    }
}

/// `value` with everything before its last `|`, `;` or `&` (and newline, when `newlines` are
/// command separators) and everything from its first `<` replaced by [`HIDDEN`]. Quotes are not
/// looked at: this is for text whose quoting cannot be trusted (YAML source, an open quote), so
/// it hides at least what a shell would feed. A YAML escape (`\x7c` is `|`) could spell a
/// separator the scan cannot see: a value with one is hidden whole.
fn shown_unquoted(value: &str, newlines: bool) -> String {
    let hidden = hidden_ranges(value, newlines);
    let mut out = String::new();
    let mut at = 0;
    for (start, end) in hidden {
        out.push_str(&value[at..start]);
        out.push_str(HIDDEN);
        at = end;
    }
    out.push_str(&value[at..]);
    out
}

/// The byte ranges of `value` that [`shown_unquoted`] hides, in order and disjoint: before the
/// last separator anywhere and from the first `<` anywhere, which covers what a shell would
/// feed however the value is quoted (a backslash-newline joins lines and separates nothing).
fn hidden_ranges(value: &str, newlines: bool) -> Vec<(usize, usize)> {
    if ["\\x", "\\u", "\\U"].iter().any(|e| value.contains(e)) {
        let lead = value.len() - value.trim_start().len();
        return vec![(lead, value.len())];
    }
    // Trailing blanks (a block scalar's last newline) end no command.
    let body = value.trim_end();
    let mut last_separator = None;
    let mut previous = ' ';
    for (i, c) in body.char_indices() {
        let separates = matches!(c, '|' | ';' | '&') || (newlines && c == '\n' && previous != '\\');
        if separates {
            last_separator = Some(i);
        }
        previous = c;
    }
    let before = last_separator.map(|i| body[..i].trim_end_matches(['|', ';', '&', '\n', ' ', '\t']).len());
    let redirect = value.find('<');
    // Leading blanks stay, so that a hidden line keeps its indentation.
    let lead = value.len() - value.trim_start().len();
    let before = before.filter(|b| *b > lead);
    let redirect = redirect.map(|r| r.max(lead));
    let whole = || vec![(lead, value.len())];
    match (before, redirect) {
        (Some(_), Some(r)) if r <= lead => whole(),
        (Some(b), Some(r)) if r <= b => whole(),
        (Some(b), Some(r)) => vec![(lead, b), (r, value.len())],
        (Some(b), None) => vec![(lead, b)],
        (None, Some(r)) => vec![(r, value.len())],
        (None, None) => Vec::new(),
    }
}

/// The lines of a YAML `text` as an error snippet may show them: in the value of every `run:`
/// key (and of every anchored value, which a `run: *alias` may use), whatever is fed to
/// standard input is hidden by [`shown_unquoted`]. Works on the raw text, so it also holds for
/// a file with a YAML syntax error, where there is no tree to look at. A value continued on
/// more indented lines (a block scalar, a folded plain scalar, a heredoc body) is cut as one.
pub(super) fn shown_source_lines(text: &str) -> Vec<String> {
    let lines: Vec<&str> = text.lines().collect();
    let mut shown: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
    let mut i = 0;
    while i < lines.len() {
        let Some((key_column, value_start)) = feedable_value(lines[i]) else {
            i += 1;
            continue;
        };
        // The value's lines: the rest of this one, then every blank or more indented line.
        let mut end = i + 1;
        while end < lines.len() {
            let l = lines[end];
            let lead = &l[..l.len() - l.trim_start_matches([' ', '\t']).len()];
            // A tab in the indentation is a YAML error, whose line may well hold the value.
            if !l.trim().is_empty() && lead.len() <= key_column && !lead.contains('\t') {
                break;
            }
            end += 1;
        }
        let head = &lines[i][value_start..];
        // A block scalar's header (`run: |`) is YAML, not a pipe; its lines are shell lines.
        let block = is_block_indicator(head);
        let first = if block { lines[i].len() } else { value_start };
        let parts: Vec<(usize, usize)> = std::iter::once((i, first)).chain((i + 1..end).map(|n| (n, 0))).collect();
        let value = parts.iter().map(|&(n, from)| &lines[n][from..]).collect::<Vec<_>>().join("\n");
        let ranges = hidden_ranges(&value, block);
        let mut offset = 0;
        for &(n, from) in &parts {
            let (start, stop) = (offset, offset + lines[n].len() - from);
            let mut line = lines[n][..from].to_string();
            let mut at = start;
            for &(a, b) in &ranges {
                let (a, b) = (a.max(start), b.min(stop));
                if a < b {
                    line.push_str(&value[at..a]);
                    line.push_str(HIDDEN);
                    at = b;
                }
            }
            line.push_str(&value[at..stop]);
            shown[n] = line;
            offset = stop + 1;
        }
        i = end;
    }
    shown
}

/// For a line holding a `run:` key, or a value with an anchor (`&name`), the column of its key
/// and where its value starts.
fn feedable_value(line: &str) -> Option<(usize, usize)> {
    let bytes = line.as_bytes();
    let mut search = 0;
    while let Some(found) = line[search..].find("run") {
        let at = search + found;
        search = at + 3;
        let boundary = at == 0 || matches!(bytes[at - 1], b' ' | b'\t' | b'-' | b'{' | b',' | b'"' | b'\'');
        let rest = &line[at + 3..];
        let rest_trimmed = rest.trim_start_matches(['"', '\'']).trim_start_matches([' ', '\t']);
        let colon = rest_trimmed.strip_prefix(':');
        if boundary && colon.is_some_and(|r| r.is_empty() || r.starts_with([' ', '\t'])) {
            let value_start = line.len() - colon.unwrap_or_default().len();
            let key_column = line[..at].trim_end_matches(['"', '\'']).len();
            return Some((key_column, value_start));
        }
    }
    // `key: &anchor value` (or `- &anchor value`): a later `*anchor` may be a run: value.
    let amp = line.find(" &")?;
    let indent = line.len() - line.trim_start_matches([' ', '\t', '-']).len();
    Some((indent, amp))
}

/// `|`, `>`, `|-`, `>+2` and the like (optionally followed by a comment): a block scalar's header.
fn is_block_indicator(value: &str) -> bool {
    let v = value.split(" #").next().unwrap_or("").trim();
    let mut chars = v.chars();
    matches!(chars.next(), Some('|' | '>')) && chars.all(|c| matches!(c, '-' | '+' | '0'..='9'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lone_command_has_no_feed_and_is_shown_as_written() {
        let s = split("docker service update --label-add 'a=b|c<d' web_web").unwrap();
        assert!(!s.has_feed());
        assert_eq!(shown("  docker service update --label-add 'a=b|c<d' web_web "), s.command);
    }

    #[test]
    fn a_pipe_feeds_whatever_the_command_and_however_it_is_spaced() {
        for line in [
            "echo \"S\" | docker secret create x -",
            "echo \"S\" | docker  secret  create  x  -",
            "printf '%s' S |\tdocker\tsecret create x -",
            "echo S | docker service update --force web_web",
            "echo 'a|b' S | base64 -d | docker secret create x -",
            "echo S|docker frobnicate",
            "echo S || docker secret ls",
        ] {
            let s = split(line).unwrap();
            assert!(s.before.contains('S'), "{line}: {s:?}");
            assert!(!s.command.contains('S'), "{line}: {s:?}");
            assert!(!shown(line).contains('S'), "{line}: {}", shown(line));
            assert!(shown(line).starts_with(HIDDEN), "{line}");
        }
        let s = split("echo \"S\" | docker  secret  create  x  -").unwrap();
        assert_eq!((s.before, s.separator, s.command), ("echo \"S\"", Some('|'), " docker  secret  create  x  -"));
        assert_eq!(shown("echo \"S\" | docker  secret  create  x  -"), "<stdin hidden> | docker  secret  create  x  -");
    }

    #[test]
    fn redirections_feed_to_the_end_of_the_line() {
        for (line, redirect) in [
            ("docker secret create x - <<< S", "<<< S"),
            ("docker secret create x - <<<'S'", "<<<'S'"),
            ("docker secret create x - <<EOF\nS | x\nEOF\n", "<<EOF\nS | x\nEOF\n"),
            ("docker secret create x - < ./S.txt", "< ./S.txt"),
        ] {
            let s = split(line).unwrap();
            assert_eq!(s.redirect, redirect);
            assert_eq!(s.command, "docker secret create x - ");
            assert_eq!(shown(line), "docker secret create x - <stdin hidden>");
        }
    }

    #[test]
    fn other_separators_hide_the_earlier_commands() {
        assert_eq!(shown("echo S > f; docker secret create x f"), "<stdin hidden> ; docker secret create x f");
        assert_eq!(shown("echo S > f\ndocker secret create x f"), "<stdin hidden> ; docker secret create x f");
        assert_eq!(shown("true && docker secret ls"), "<stdin hidden> & docker secret ls");
    }

    #[test]
    fn quotes_protect_separators_but_an_open_quote_hides_at_every_one() {
        assert!(!split("docker x \"a | b\" 'c ; d' $'e\\'|' f\\|g").unwrap().has_feed());
        assert_eq!(split("echo \"S | docker secret create x -"), Err("unterminated double quote".into()));
        assert_eq!(split("echo 'S | x"), Err("unterminated single quote".into()));
        assert_eq!(shown("echo \"S | docker secret create x -"), "<stdin hidden> | docker secret create x -");
        assert_eq!(shown("docker secret create x - <<< \"S"), "docker secret create x - <stdin hidden>");
    }

    #[test]
    fn source_lines_hide_the_feed_of_run_values_even_in_broken_yaml() {
        let text = "\
x-simulation:
  timeline:
    - at: 1s
      run: echo \"S1\": | docker  secret create x -
    - {at: 2s, run: printf '%s' S2 | docker secret create y -}
    - at: 3s
      run: |
        docker secret create z - <<EOF
        S3
        EOF
    - at: 4s
      run: docker service update --force web_web <<< S4
    - at: 5s
      run: \"echo S5 \\x7c docker secret create w -\"
    - at: 6s
      run: docker service update --image nginx:1 web_web
      strategy: canary
    - at: 7s
      \"run\" : >-
        echo S7
        | docker secret create u -
x-cmd: &cmd echo S6 | docker secret create v -
";
        let shown = shown_source_lines(text);
        assert_eq!(shown.len(), text.lines().count());
        for (n, line) in shown.iter().enumerate() {
            assert!((1..=7).all(|k| !line.contains(&format!("S{k}"))), "line {}: {line}", n + 1);
        }
        assert_eq!(shown[2], "    - at: 1s");
        assert_eq!(shown[3], "      run: <stdin hidden> | docker  secret create x -");
        assert_eq!(shown[4], "    - {at: 2s, run: <stdin hidden> | docker secret create y -}");
        assert_eq!(shown[6], "      run: |");
        assert_eq!(
            shown[7], "        <stdin hidden>",
            "a heredoc hides its command line too (cut before the last newline)"
        );
        assert_eq!(shown[8], "<stdin hidden>");
        assert_eq!(shown[11], "      run: docker service update --force web_web <stdin hidden>");
        assert_eq!(shown[13], "      run: <stdin hidden>", "a YAML escape may spell a pipe");
        assert_eq!(shown[15], "      run: docker service update --image nginx:1 web_web", "no feed: unchanged");
        assert_eq!(shown[16], "      strategy: canary");
        assert_eq!(shown[19], "        <stdin hidden>");
        assert_eq!(shown[20], "        | docker secret create u -");
        assert_eq!(shown[21], "x-cmd: <stdin hidden> | docker secret create v -");
    }

    #[test]
    fn a_tab_indented_line_after_a_run_value_is_part_of_it() {
        let text = "    run: |\n      docker secret create t - <<EOF\n\tS1\n      EOF\n    at: 1s\n";
        let shown = shown_source_lines(text);
        assert!(shown.iter().all(|l| !l.contains("S1")), "{shown:?}");
        assert_eq!(shown[4], "    at: 1s");
    }

    #[test]
    fn the_digest_does_not_depend_on_fed_values() {
        let text = |v: &str| {
            format!("x-simulation:\n  timeline:\n    - at: 1s\n      run: echo \"{v}\" | docker secret create x -\n")
        };
        let digest = crate::scenario::digest;
        assert_eq!(digest(&[&text("a")]), digest(&[&text("a much longer value")]));
        assert_ne!(
            digest(&[&text("a")]),
            digest(&[&text("a").replace("create x", "create y")]),
            "a change elsewhere shows"
        );
        assert_ne!(digest(&["a\nb", ""]), digest(&["a", "b"]), "files do not run together");
        assert!(digest(&["x"]).starts_with("sha256:") && digest(&["x"]).len() == 7 + 64);
    }

    #[test]
    fn a_block_command_without_a_feed_is_shown_whole() {
        let text = "    run: |\n      docker service update \\\n        --image x:2 web_web\n    at: 1s\n";
        assert_eq!(shown_source_lines(text), text.lines().collect::<Vec<_>>());
    }
}
