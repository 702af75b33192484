// The OpenAPI document of the daemon's HTTP API. docs/serve-openapi.json is the source; the
// build embeds its bytes (host/cmake/embed_text.cmake), so what is served is what is in docs/.
#pragma once

#include <string_view>

namespace jobhost::serve {

std::string_view openapi_document();

}  // namespace jobhost::serve
