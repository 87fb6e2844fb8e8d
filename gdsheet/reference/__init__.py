"""The numpy oracle: every lesson quantity computed independently of the writer."""
