// Job types of the ingestion plugin (bronze layer: files -> SQLite tables).
#pragma once
#include <jobhost/sdk.hpp>

namespace jobhost::ingestion {
Status csv(Context& ctx);
Status jsonl(Context& ctx);
}  // namespace jobhost::ingestion
