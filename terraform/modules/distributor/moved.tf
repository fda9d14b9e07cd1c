# Addresses of the code before every Lambda was built by modules/lambda.

moved {
  from = aws_lambda_function.this
  to   = module.function.aws_lambda_function.this
}

moved {
  from = aws_cloudwatch_log_group.this
  to   = module.function.aws_cloudwatch_log_group.this
}

moved {
  from = aws_iam_role.this
  to   = module.function.aws_iam_role.this
}

moved {
  from = aws_iam_role_policy.consume_master
  to   = module.function.aws_iam_role_policy.this["master-queue-consume"]
}

moved {
  from = aws_iam_role_policy.forward
  to   = module.function.aws_iam_role_policy.this["regional-queues-send"]
}

moved {
  from = aws_iam_role_policy.idempotency
  to   = module.function.aws_iam_role_policy.this["idempotency-records"]
}

moved {
  from = aws_iam_role_policy.logs
  to   = module.function.aws_iam_role_policy.logs
}
