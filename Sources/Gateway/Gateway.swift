// Gateway: see ARCHITECTURE.md.
