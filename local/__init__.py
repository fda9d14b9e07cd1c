"""Tools that run the system on one machine: the AWS emulator, the local Terraform stack applied to it,
the emulated GPU host and the timers that stand in for scheduled Lambdas. Nothing here is deployed."""
