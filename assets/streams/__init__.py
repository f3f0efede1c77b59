"""Stream fraud: play logs, the accounts that stream for royalties, and what they cost labels."""
