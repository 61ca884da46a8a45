//! The inventory's coded dictionaries: `unit_type_codes` and
//! `component_type_codes` (`/v1/admin/unit-type-codes`,
//! `/v1/admin/component-type-codes`). Tenants add their own with
//! `inventory.codeManagement`.

use crm_dictionaries::{CodeStyle, Dictionary};

pub const UNIT_TYPE_CODES: Dictionary = Dictionary {
    name: "unit_type_codes",
    global: &[
        ("APT", "Apartment", "شقة"),
        ("STUDIO", "Studio", "استوديو"),
        ("DUPLEX", "Duplex", "دوبلكس"),
        ("PENTHOUSE", "Penthouse", "بنتهاوس"),
        ("VILLA", "Villa", "فيلا"),
        ("TWNH", "Townhouse", "تاون هاوس"),
        ("OFFICE", "Office", "مكتب"),
        ("RETAIL", "Retail", "محل تجاري"),
    ],
    style: CodeStyle::Upper,
    feature: "inventory.codeManagement",
};

pub const COMPONENT_TYPE_CODES: Dictionary = Dictionary {
    name: "component_type_codes",
    global: &[
        ("ROOM", "Room", "غرفة"),
        ("BATH", "Bathroom", "حمام"),
        ("KITCHEN", "Kitchen", "مطبخ"),
        ("BALCONY", "Balcony", "شرفة"),
        ("TERRACE", "Terrace", "تراس"),
        ("PARKING", "Parking", "موقف سيارات"),
        ("STORAGE", "Storage", "مخزن"),
    ],
    style: CodeStyle::Upper,
    feature: "inventory.codeManagement",
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_seeded_codes_are_the_issue_s_and_well_spelled() {
        let units: Vec<&str> = UNIT_TYPE_CODES.global.iter().map(|c| c.0).collect();
        assert_eq!(units, ["APT", "STUDIO", "DUPLEX", "PENTHOUSE", "VILLA", "TWNH", "OFFICE", "RETAIL"]);
        let parts: Vec<&str> = COMPONENT_TYPE_CODES.global.iter().map(|c| c.0).collect();
        assert_eq!(parts, ["ROOM", "BATH", "KITCHEN", "BALCONY", "TERRACE", "PARKING", "STORAGE"]);
        for d in [UNIT_TYPE_CODES, COMPONENT_TYPE_CODES] {
            assert!(d.globals().all(|e| d.valid_code(&e.code).is_ok() && !e.label_ar.is_empty()));
        }
    }
}
