//! Text that fits, for charts drawn as SVG (which does not wrap or measure text): the advance
//! widths of DejaVu Sans, the widest of the fonts `system-ui` falls back to, so text measured
//! here fits in any of them; greedy word wrap into boxes (the swimlane's step names) and
//! ellipsis. The swimlane wraps its step names with it and the Gantt chart measures its labels.

/// Advance widths of DejaVu Sans and DejaVu Sans Bold, in thousandths of an em, for the
/// characters ' ' to '~'. DejaVu Sans is the widest of the fonts `system-ui` falls back to, so
/// text measured with it fits in any of them. Rows of 16: from ' ', '0', '@', 'P', '`' and 'p'.
#[rustfmt::skip]
const BOOK: [u16; 95] = [
    318, 401, 460, 838, 636, 950, 780, 275, 390, 390, 500, 838, 318, 361, 318, 337,
    636, 636, 636, 636, 636, 636, 636, 636, 636, 636, 337, 337, 838, 838, 838, 531,
    1000, 684, 686, 698, 770, 632, 575, 775, 752, 295, 295, 656, 557, 863, 748, 787,
    603, 787, 695, 635, 611, 732, 684, 989, 685, 611, 685, 390, 337, 390, 838, 500,
    500, 613, 635, 550, 635, 615, 352, 635, 634, 278, 278, 579, 278, 974, 634, 612,
    635, 635, 411, 521, 392, 634, 592, 818, 592, 592, 525, 636, 337, 636, 838,
];
#[rustfmt::skip]
const BOLD: [u16; 95] = [
    348, 456, 521, 838, 696, 1002, 872, 306, 457, 457, 523, 838, 380, 415, 380, 365,
    696, 696, 696, 696, 696, 696, 696, 696, 696, 696, 400, 400, 838, 838, 838, 580,
    1000, 774, 762, 734, 830, 683, 683, 821, 837, 372, 372, 775, 637, 995, 837, 850,
    733, 850, 770, 720, 682, 812, 774, 1103, 771, 724, 725, 457, 365, 457, 838, 500,
    500, 675, 716, 593, 716, 678, 435, 716, 712, 343, 343, 665, 343, 1042, 712, 687,
    716, 716, 493, 595, 478, 712, 652, 924, 645, 652, 582, 712, 365, 712, 838,
];

/// Width in px when drawn in DejaVu Sans (Bold when `bold`, as for weights from 600).
pub(super) fn text_width(text: &str, size: f64, bold: bool) -> f64 {
    let table = if bold { &BOLD } else { &BOOK };
    let milli: u32 = text
        .chars()
        .map(|c| match c {
            ' '..='~' => u32::from(table[c as usize - ' ' as usize]),
            '·' => u32::from(table[0]),
            // Letters of other Latin, Greek or Cyrillic alphabets are about as wide as their
            // ASCII cousins; the rest (CJK, symbols, "…") as wide as a square.
            c if c.is_alphabetic() && u32::from(c) < 0x2E80 => 720,
            _ => 1000,
        })
        .sum();
    f64::from(milli) / 1000.0 * size
}

/// Greedy word wrap into lines of `width` px, at most `max_lines`; see [`wrap_lines`].
pub(super) fn wrap(text: &str, width: i32, size: f64, bold: bool, max_lines: usize) -> Vec<String> {
    wrap_lines(text, &|_| width, size, bold, max_lines)
}

/// Greedy word wrap, line `i` being `width(i)` px wide. A word longer than a line is broken
/// with a hyphen (or after a hyphen or slash it has); text that does not fit in `max_lines`
/// ends with "…" (the full text is in the step's tooltip).
pub(super) fn wrap_lines(
    text: &str,
    width: &dyn Fn(usize) -> i32,
    size: f64,
    bold: bool,
    max_lines: usize,
) -> Vec<String> {
    let fits = |s: &str, line: usize| text_width(s, size, bold) <= f64::from(width(line));
    // Each line, and whether it ends in a hyphen added here.
    let mut lines: Vec<(String, bool)> = Vec::new();
    let mut current = String::new();
    // Whether `current` begins with the end of a word broken on the line before.
    let mut fragment = false;
    for word in text.split_whitespace() {
        let candidate = if current.is_empty() {
            word.to_string()
        } else {
            format!("{current} {word}")
        };
        if fits(&candidate, lines.len()) {
            current = candidate;
            continue;
        }
        let mut rest: Vec<char> = word.chars().collect();
        if !current.is_empty() {
            // A line that the next word would leave very short ("At" before "manufacturing
            // facility") takes the word's start, hyphenated, when three letters or more fit
            // and three or more are left.
            let line = lines.len();
            let lead = format!("{current} ");
            let start = |n: usize| format!("{lead}{}-", rest[..n].iter().collect::<String>());
            let n = (0..rest.len())
                .take_while(|&n| fits(&start(n + 1), line))
                .count()
                .min(rest.len().saturating_sub(3));
            let short = 3.0 * text_width(&current, size, bold) < f64::from(width(line));
            let letters = rest.iter().all(|c| c.is_alphabetic());
            if short && !fragment && letters && n >= 3 {
                lines.push((start(n), true));
                rest.drain(..n);
            } else {
                lines.push((current, false));
            }
        }
        loop {
            let line = lines.len();
            let whole: String = rest.iter().collect();
            if fits(&whole, line) {
                fragment = whole.chars().count() < word.chars().count();
                current = whole;
                break;
            }
            let prefix = |n: usize| rest[..n].iter().collect::<String>();
            let mut n = 1;
            while n + 1 < rest.len() && fits(&format!("{}-", prefix(n + 1)), line) {
                n += 1;
            }
            // Rather after a hyphen or slash the word has, when one fits.
            let cut = (1..=n).rev().find(|&i| matches!(rest[i - 1], '-' | '/'));
            match cut {
                Some(i) => lines.push((prefix(i), false)),
                None => lines.push((format!("{}-", prefix(n)), true)),
            }
            let cut = cut.unwrap_or(n);
            rest.drain(..cut);
        }
    }
    if !current.is_empty() {
        lines.push((current, false));
    }
    if lines.len() > max_lines {
        let last = max_lines - 1;
        let mut rest = String::new();
        let mut glue = "";
        for (text, hyphenated) in lines.split_off(last) {
            rest.push_str(glue);
            if hyphenated {
                rest.push_str(text.strip_suffix('-').unwrap_or(&text));
                glue = "";
            } else {
                rest.push_str(&text);
                glue = if text.ends_with(['-', '/']) { "" } else { " " };
            }
        }
        lines.push((ellipsize(&rest, f64::from(width(last)), size, bold), false));
    }
    lines.into_iter().map(|(text, _)| text).collect()
}

fn ellipsize(text: &str, width: f64, size: f64, bold: bool) -> String {
    if text_width(text, size, bold) <= width {
        return text.to_string();
    }
    let mut out = String::new();
    for c in text.chars() {
        out.push(c);
        if text_width(&format!("{out}…"), size, bold) > width {
            out.pop();
            break;
        }
    }
    format!("{}…", out.trim_end())
}
