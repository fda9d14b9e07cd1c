"""The multi-region distributor: forwards each job on the master queue to one regional queue
(docs/flows/distributor.md)."""
