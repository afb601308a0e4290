// HandoffCore: see ARCHITECTURE.md.
