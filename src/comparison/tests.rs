//! Comparison tests on a small scenario whose figures are worked out by hand.
