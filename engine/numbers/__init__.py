"""What helps, measured: outcome events, experiment arms, and `onward stats` (counts, survival
curves, tests between arms and charts), numbers only, small counts suppressed."""
