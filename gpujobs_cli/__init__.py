"""`gpujobs`, the command-line client of the public API. Packaged apart from `gpujobs` so that the
Lambda packages, which carry the shared package, carry none of the client."""
