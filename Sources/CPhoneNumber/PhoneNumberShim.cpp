#include "CPhoneNumber.h"

#include <cstring>
#include <string>

#include <phonenumbers/phonenumber.pb.h>
#include <phonenumbers/phonenumberutil.h>

using i18n::phonenumbers::PhoneNumber;
using i18n::phonenumbers::PhoneNumberUtil;

extern "C" int galsync_phone_format(const char *number, const char *region, int style, char *out, int capacity) {
    // Looked up once (thread-safe static): GetInstance itself takes a lock at every call.
    static const PhoneNumberUtil *const util = PhoneNumberUtil::GetInstance();
    PhoneNumber parsed;
    const std::string text(number ? number : "");
    const std::string where(region && *region ? region : "ZZ");
    if (util->Parse(text, where, &parsed) != PhoneNumberUtil::NO_PARSING_ERROR) return -1;
    // Parse takes any run of digits ("4567", an internal extension, would become "+14567"):
    // only a number of a possible length for its country is formatted.
    // A local-only length ("555-0100" without its area code) is not enough either.
    if (util->IsPossibleNumberWithReason(parsed) != PhoneNumberUtil::IS_POSSIBLE) return -1;
    std::string formatted;
    if (style == GALSYNC_PHONE_INTERNATIONAL) {
        util->Format(parsed, PhoneNumberUtil::INTERNATIONAL, &formatted);
    } else {
        util->Format(parsed, PhoneNumberUtil::E164, &formatted);
        if (parsed.has_extension() && !parsed.extension().empty()) formatted += " ext. " + parsed.extension();
    }
    if (formatted.size() + 1 > static_cast<size_t>(capacity)) return -2;
    std::memcpy(out, formatted.c_str(), formatted.size() + 1);
    return static_cast<int>(formatted.size());
}
