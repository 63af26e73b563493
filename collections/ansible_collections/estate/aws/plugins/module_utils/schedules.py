# Copyright: contributors to the aws-estates repository
# SPDX-License-Identifier: MIT-0
"""The form of an EventBridge schedule expression, shared by estate.aws.event_schedules and the
serverless tier's validation filter (estate.aws.serverless_errors). Stdlib only."""

from __future__ import annotations

import re

EXPRESSION = re.compile(
    r"^(rate\(\d+ (minute|minutes|hour|hours|day|days)\)|cron\(\S+( \S+){5}\))$"
)
EXPRESSION_HINT = (
    "use rate(N minutes|hours|days) or cron(minutes hours day-of-month month day-of-week year)"
)
