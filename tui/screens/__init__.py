"""The app's screens and the flows that run on them."""
