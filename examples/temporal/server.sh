#!/bin/sh
# A local Temporal dev server with the closedloop search attributes and the Temporal UI, which
# decrypts payloads through the worker's codec endpoint (http://127.0.0.1:9464/codec).
set -e
TEMPORAL="${CLOSEDLOOP_TOOLS:-$HOME/.cache/closedloop/tools}/bin/temporal"
[ -x "$TEMPORAL" ] || TEMPORAL=temporal
exec "$TEMPORAL" server start-dev \
  --ip 127.0.0.1 --port 7233 --ui-ip 127.0.0.1 --ui-port 8233 \
  --db-filename "${TEMPORAL_DB:-./temporal.db}" \
  --ui-codec-endpoint http://127.0.0.1:9464/codec \
  --search-attribute ClosedLoopStatus=Keyword \
  --search-attribute ClosedLoopPriority=Keyword \
  --search-attribute ClosedLoopSegment=Keyword \
  --search-attribute ClosedLoopOwner=Keyword \
  --search-attribute ClosedLoopNpsCategory=Keyword \
  --search-attribute ClosedLoopState=Keyword \
  --search-attribute ClosedLoopCaseId=Keyword
