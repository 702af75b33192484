#include "jobhost_common/job_errors.hpp"

#include <string>

namespace jobhost::common {

Status run_named(Context& ctx, JobBody body) {
  auto prefix = [&] {
    return "job '" + std::string(ctx.job_name()) + "' (" + std::string(ctx.job_type()) + "): ";
  };
  try {
    Status st = body(ctx);
    if (!st.is_ok() && !st.message().empty() && st.code() != JH_STATUS_SKIPPED) {
      if (st.code() == JH_STATUS_FATAL) return Status::fatal(prefix() + st.message());
      if (st.code() == JH_STATUS_RETRY) return Status::retry(prefix() + st.message());
    }
    return st;
  } catch (const FatalError& e) {
    throw FatalError(prefix() + e.what());
  } catch (const RetryableError& e) {
    throw RetryableError(prefix() + e.what());
  } catch (const std::exception& e) {
    throw RetryableError(prefix() + e.what());
  }
}

}  // namespace jobhost::common
