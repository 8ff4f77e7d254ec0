//! What an uploaded document may be: its type read from its first bytes (never from the name
//! or the type the browser claims) among the few types the record keeps, and the size limit.
//! Pure: the bytes in, a media type or the reason it is refused out.

/// The largest document kept, in bytes (10 MiB): a scanned agreement or P&T minutes fit; a
/// video does not belong in the record.
pub const MAX_DOCUMENT_BYTES: usize = 10 * 1024 * 1024;

/// The types the record keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MediaType {
    Pdf,
    Png,
    Jpeg,
    PlainText,
    Docx,
}

impl MediaType {
    pub fn as_str(self) -> &'static str {
        match self {
            MediaType::Pdf => "application/pdf",
            MediaType::Png => "image/png",
            MediaType::Jpeg => "image/jpeg",
            MediaType::PlainText => "text/plain; charset=utf-8",
            MediaType::Docx => {
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
            }
        }
    }
}

/// Why a document is refused, in words a person can act on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DocumentRefusal {
    #[error("the file is empty")]
    Empty,
    #[error("the file is {size} bytes; at most {} MiB are kept", MAX_DOCUMENT_BYTES / (1024 * 1024))]
    TooLarge { size: usize },
    #[error(
        "this kind of file is not kept: upload a PDF, PNG, JPEG, plain text or Word (.docx) document"
    )]
    WrongType,
}

/// The document's type from its content, or why it is refused.
pub fn sniff(bytes: &[u8]) -> Result<MediaType, DocumentRefusal> {
    if bytes.is_empty() {
        return Err(DocumentRefusal::Empty);
    }
    if bytes.len() > MAX_DOCUMENT_BYTES {
        return Err(DocumentRefusal::TooLarge { size: bytes.len() });
    }
    if bytes.starts_with(b"%PDF-") {
        return Ok(MediaType::Pdf);
    }
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        return Ok(MediaType::Png);
    }
    if bytes.starts_with(b"\xFF\xD8\xFF") {
        return Ok(MediaType::Jpeg);
    }
    // A .docx is a ZIP holding `[Content_Types].xml` and the Word part `word/…`; both names
    // are stored uncompressed in the ZIP's local headers and central directory.
    if bytes.starts_with(b"PK\x03\x04") {
        if contains(bytes, b"[Content_Types].xml") && contains(bytes, b"word/") {
            return Ok(MediaType::Docx);
        }
        return Err(DocumentRefusal::WrongType);
    }
    if is_plain_text(bytes) {
        return Ok(MediaType::PlainText);
    }
    Err(DocumentRefusal::WrongType)
}

/// UTF-8 without control characters other than tab, line feed, carriage return and form feed.
fn is_plain_text(bytes: &[u8]) -> bool {
    std::str::from_utf8(bytes).is_ok_and(|s| {
        s.chars()
            .all(|c| !c.is_control() || matches!(c, '\t' | '\n' | '\r' | '\x0c'))
    })
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_kept_type_is_recognized_by_its_content() {
        assert_eq!(sniff(b"%PDF-1.7\n...").unwrap(), MediaType::Pdf);
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n\0\0").unwrap(), MediaType::Png);
        assert_eq!(sniff(b"\xFF\xD8\xFF\xE0JFIF").unwrap(), MediaType::Jpeg);
        assert_eq!(
            sniff("P&T minutes, 3 March: approved — Dr. Müller".as_bytes()).unwrap(),
            MediaType::PlainText
        );
        let docx = b"PK\x03\x04....[Content_Types].xml....word/document.xml....";
        assert_eq!(sniff(docx).unwrap(), MediaType::Docx);
    }

    #[test]
    fn other_files_are_refused_with_what_to_upload() {
        // An executable, a plain ZIP, binary data with a harmless name: all refused.
        for bytes in [
            &b"MZ\x90\0\x03\0\0\0"[..],
            b"PK\x03\x04....payload.bin....",
            b"GIF89a\x01\0",
            b"text with a \0 NUL",
        ] {
            let e = sniff(bytes).unwrap_err();
            assert_eq!(e, DocumentRefusal::WrongType);
            assert!(e.to_string().contains("upload a PDF"));
        }
        assert_eq!(sniff(b""), Err(DocumentRefusal::Empty));
    }

    #[test]
    fn a_file_over_the_limit_is_refused_with_the_limit() {
        let big = vec![b'a'; MAX_DOCUMENT_BYTES + 1];
        let e = sniff(&big).unwrap_err();
        assert!(matches!(e, DocumentRefusal::TooLarge { .. }));
        assert!(e.to_string().contains("at most 10 MiB"), "{e}");
        assert!(sniff(&vec![b'a'; MAX_DOCUMENT_BYTES]).is_ok());
    }
}
