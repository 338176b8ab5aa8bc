#ifndef GALSYNC_CSHIMS_H
#define GALSYNC_CSHIMS_H
/* Typed wrappers for the parts of libcurl, OpenSSL and glibc that Swift cannot call directly:
 * variadic functions (curl_easy_setopt, curl_easy_getinfo, EVP_PKEY_Q_keygen), macros, and
 * mallopt (not in the Glibc module). */
#include <curl/curl.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/bio.h>

typedef size_t (*gs_curl_data_cb)(char *ptr, size_t size, size_t nmemb, void *userdata);

CURLcode gs_curl_setopt_long(CURL *h, CURLoption opt, long value);
CURLcode gs_curl_setopt_off(CURL *h, CURLoption opt, curl_off_t value);
CURLcode gs_curl_setopt_str(CURL *h, CURLoption opt, const char *value);
CURLcode gs_curl_setopt_ptr(CURL *h, CURLoption opt, void *value);
CURLcode gs_curl_setopt_data_cb(CURL *h, CURLoption opt, gs_curl_data_cb cb);
CURLcode gs_curl_getinfo_long(CURL *h, CURLINFO info, long *out);
CURLcode gs_curl_getinfo_double(CURL *h, CURLINFO info, double *out);
CURLMcode gs_curl_multi_setopt_long(CURLM *m, CURLMoption opt, long value);

/* A fresh RSA key of `bits` bits, or NULL. */
EVP_PKEY *gs_rsa_generate(unsigned int bits);
/* The bytes a memory BIO holds; returns their count and points *data at them. */
long gs_bio_mem_data(BIO *bio, char **data);
void gs_openssl_free(void *ptr);
unsigned long gs_xn_flag_rfc2253(void);
/* Adds an X.509v3 extension given in OpenSSL's config syntax, e.g. "critical,CA:FALSE". */
int gs_x509_add_ext(X509 *cert, X509 *issuer, int nid, const char *value);
/* PKCS#12: returns 1 on success and sets key and cert (caller frees). */
int gs_pkcs12_parse(const unsigned char *der, long len, const char *pass, EVP_PKEY **key, X509 **cert);

/* Fixes glibc's mmap threshold at `bytes` (mallopt M_MMAP_THRESHOLD); returns 1 on success. */
int gs_malloc_fix_mmap_threshold(int bytes);

#endif
