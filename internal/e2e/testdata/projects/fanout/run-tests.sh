# Runs each test file given, as a test runner would.
for f in "$@"; do echo "ran $f"; sh "$f"; done
echo "shard files: $(echo "$CODEBUILD_CURRENT_SHARD_FILES" | tr '\n' ' ')"
