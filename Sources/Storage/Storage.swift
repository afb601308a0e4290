// Storage: see ARCHITECTURE.md.
