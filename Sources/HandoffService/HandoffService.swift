// HandoffService: see ARCHITECTURE.md.
