//! Marathon app ids: the naming rules and the id derived from the framework name.

/// Checks Marathon's app id rules: names separated by `/` (optionally
/// starting with one), each of lowercase letters, digits, dashes and dots,
/// beginning and ending with a letter or digit. The error names the rule.
pub fn validate_id(id: &str) -> Result<(), String> {
    if id.is_empty() {
        return Err("it is empty; use a name such as `flink` or `/analytics/flink`".into());
    }
    let path = id.strip_prefix('/').unwrap_or(id);
    for name in path.split('/') {
        if name.is_empty() {
            return Err("it has an empty name (`//`, or a `/` at the end); separate names with single slashes, e.g. `/analytics/flink`".into());
        }
        if name == "." || name == ".." {
            return Err(format!(
                "`{name}` is a relative name; an app id is a path of plain names, e.g. `/analytics/flink`"
            ));
        }
        if let Some(c) = name
            .chars()
            .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-' || *c == '.'))
        {
            let hint = if c.is_ascii_uppercase() {
                format!(" (lowercase: `{}`)", id.to_ascii_lowercase())
            } else {
                String::new()
            };
            return Err(format!(
                "the name `{name}` contains `{c}`; names may only contain lowercase letters a-z, digits 0-9, dashes and dots{hint}"
            ));
        }
        let edge = |c: char| c == '-' || c == '.';
        if name.starts_with(edge) || name.ends_with(edge) {
            return Err(format!(
                "the name `{name}` begins or ends with a dash or a dot; names must begin and end with a letter or digit"
            ));
        }
    }
    Ok(())
}

/// An app id from the framework name: lowercase, runs of other characters
/// become one dash (`My Flink_Cluster` → `my-flink-cluster`); `flink` when
/// nothing usable is left. Always passes [`validate_id`].
pub fn default_id(framework_name: &str) -> String {
    let mut id = String::new();
    for c in framework_name.chars().map(|c| c.to_ascii_lowercase()) {
        if c.is_ascii_lowercase() || c.is_ascii_digit() {
            id.push(c);
        } else if !id.ends_with('-') {
            id.push('-');
        }
    }
    let id = id.trim_matches('-');
    if id.is_empty() {
        "flink".into()
    } else {
        id.into()
    }
}
