// Job functions of the ml plugin.
#pragma once
#include <jobhost/sdk.hpp>

namespace jobhost::ml {
Status linear_regression(Context& ctx);
Status predict(Context& ctx);
}  // namespace jobhost::ml
