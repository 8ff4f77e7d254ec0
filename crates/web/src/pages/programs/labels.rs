//! Program and map words as people read them: modalities, identifiers, issuers, a map
//! version's status. The wire names stay in forms and URLs; an unknown word shows as it is.

use crate::labels::{Tone, badge};
use maud::{Markup, html};

pub fn modality_label(modality: &str) -> &str {
    match modality {
        "autologous_cell" => "Autologous cell therapy",
        "allogeneic_cell" => "Allogeneic cell therapy",
        "ex_vivo_gene_therapy" => "Ex vivo gene therapy",
        "in_vivo_gene_therapy" => "In vivo gene therapy",
        other => other,
    }
}

pub fn identifier_kind_label(kind: &str) -> &str {
    match kind {
        "manufacturer_order_id" => "Manufacturer order ID (chain of identity)",
        "lot_number" => "Lot number",
        "isbt128_din" => "ISBT 128 donation identification number (DIN)",
        "isbt128_coi" => "ISBT 128 chain of identity identifier (COI)",
        other => other,
    }
}

pub fn issuer_label(issuer: &str) -> &str {
    match issuer {
        "manufacturer" => "Manufacturer",
        "collection_facility" => "Collection facility",
        "cellpath" => "cellpath",
        other => other,
    }
}

/// "Draft" (still changing) or "Published" (never changes again).
pub fn map_status_badge(status: &str) -> Markup {
    let (text, tone) = match status {
        "draft" => ("Draft", Tone::Waiting),
        "published" => ("Published", Tone::Good),
        other => (other, Tone::Quiet),
    };
    html! { span.map-status data-status=(status) { (badge(text, tone)) } }
}

/// The first characters of a content hash, enough to tell versions apart at a glance.
pub fn short_hash(hash: &str) -> &str {
    hash.get(..12).unwrap_or(hash)
}
