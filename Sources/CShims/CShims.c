#include "CShims.h"
#include <malloc.h>
#include <openssl/pkcs12.h>
#include <openssl/x509v3.h>
#include <openssl/rsa.h>

CURLcode gs_curl_setopt_long(CURL *h, CURLoption opt, long value) { return curl_easy_setopt(h, opt, value); }
CURLcode gs_curl_setopt_off(CURL *h, CURLoption opt, curl_off_t value) { return curl_easy_setopt(h, opt, value); }
CURLcode gs_curl_setopt_str(CURL *h, CURLoption opt, const char *value) { return curl_easy_setopt(h, opt, value); }
CURLcode gs_curl_setopt_ptr(CURL *h, CURLoption opt, void *value) { return curl_easy_setopt(h, opt, value); }
CURLcode gs_curl_setopt_data_cb(CURL *h, CURLoption opt, gs_curl_data_cb cb) { return curl_easy_setopt(h, opt, cb); }
CURLcode gs_curl_getinfo_long(CURL *h, CURLINFO info, long *out) { return curl_easy_getinfo(h, info, out); }
CURLcode gs_curl_getinfo_double(CURL *h, CURLINFO info, double *out) { return curl_easy_getinfo(h, info, out); }
CURLMcode gs_curl_multi_setopt_long(CURLM *m, CURLMoption opt, long value) { return curl_multi_setopt(m, opt, value); }

EVP_PKEY *gs_rsa_generate(unsigned int bits) { return EVP_RSA_gen(bits); }
long gs_bio_mem_data(BIO *bio, char **data) { return BIO_get_mem_data(bio, data); }
void gs_openssl_free(void *ptr) { OPENSSL_free(ptr); }
unsigned long gs_xn_flag_rfc2253(void) { return XN_FLAG_RFC2253; }

int gs_x509_add_ext(X509 *cert, X509 *issuer, int nid, const char *value) {
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, issuer, cert, NULL, NULL, 0);
    X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
    if (!ext) return 0;
    int ok = X509_add_ext(cert, ext, -1);
    X509_EXTENSION_free(ext);
    return ok;
}

int gs_pkcs12_parse(const unsigned char *der, long len, const char *pass, EVP_PKEY **key, X509 **cert) {
    const unsigned char *p = der;
    PKCS12 *p12 = d2i_PKCS12(NULL, &p, len);
    if (!p12) return 0;
    STACK_OF(X509) *ca = NULL;
    int ok = PKCS12_parse(p12, pass, key, cert, &ca);
    sk_X509_pop_free(ca, X509_free);
    PKCS12_free(p12);
    return ok;
}

int gs_malloc_fix_mmap_threshold(int bytes) { return mallopt(M_MMAP_THRESHOLD, bytes); }
