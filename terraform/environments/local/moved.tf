# Addresses of the code before the stand-ins were one module.

moved {
  from = aws_instance.gpu_stand_in
  to   = module.gpu_stand_in[0].aws_instance.this
}

moved {
  from = aws_ec2_instance_state.gpu_stand_in
  to   = module.gpu_stand_in[0].aws_ec2_instance_state.this
}

# The stand-in became optional (none with a fleet).
moved {
  from = module.gpu_stand_in
  to   = module.gpu_stand_in[0]
}

moved {
  from = aws_instance.second_stand_in[0]
  to   = module.second_stand_in[0].aws_instance.this
}

moved {
  from = aws_ec2_instance_state.second_stand_in[0]
  to   = module.second_stand_in[0].aws_ec2_instance_state.this
}
