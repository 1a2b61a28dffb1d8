//! Where intake's personal data is sealed: each value is bound to its row and column (the
//! AES-GCM associated data), so a sealed value copied elsewhere does not open.

use xinfang_platform::pii::place;

pub fn query_code(petition: &str) -> String {
    place("intake_petition", "query_code", petition)
}

pub fn id_number(petition: &str, position: i32) -> String {
    place(
        "intake_petitioner",
        "id_number",
        &format!("{petition}/{position}"),
    )
}

pub fn phone(petition: &str, position: i32) -> String {
    place(
        "intake_petitioner",
        "phone",
        &format!("{petition}/{position}"),
    )
}
