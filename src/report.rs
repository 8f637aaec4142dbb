//! The output boundary: pure writers from a [`crate::model::record::RunRecord`] to bytes.
