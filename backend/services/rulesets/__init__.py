"""Rule sets as versioned data: drafts, validation, four-eyes publishing, the version in force."""
