"""The sandbox gateway's records: an emulated card processor for local use, demos and tests."""
