// Numbering facts and the write-path check, from libphonenumber. Private.
//
// Lookups never come here: they run PhoneNormalizer alone. Writes (create,
// update, import) normalize with the same PhoneNormalizer and then ask
// libphonenumber whether the number can exist (check_for_write), and, for a
// number written in national form, whether libphonenumber reads it the same
// way (library_e164), so that nothing is stored that a lookup would read
// differently.
#ifndef VIPCORE_SRC_NUMBERING_HPP
#define VIPCORE_SRC_NUMBERING_HPP

#include <string>
#include <string_view>

#include "vipcore/phone.hpp"
#include "vipcore/settings.hpp"
#include "vipcore/status.hpp"

namespace vipcore::detail {

/// libphonenumber's E.164 reading of `input` dialled in `region` (about
/// 10 µs: ICU regular expressions). Errors name `field`, never the number.
/// With `valid_only`, a number libphonenumber does not call valid in
/// `region` is an error too.
Result<std::string> library_e164(std::string_view input, std::string_view region, std::string_view field,
                                 bool valid_only = false);

/// The write check of one normalized number (about 0.2 µs; no regular
/// expression): under NumberValidation::strict libphonenumber's
/// possible-number check, under e164 a known country code. When `n` was
/// written in national form it is also read by libphonenumber in
/// `plan.region()` and must come out the same.
Status check_for_write(const PhoneNumber& n, std::string_view input, const PhoneNormalizer& plan,
                       NumberValidation validation, std::string_view field);

}  // namespace vipcore::detail

#endif
