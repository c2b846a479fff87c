"""The waiting-room display: pygame board, chime, spoken calls."""
