/* Reference for bench/curl.sh: N form POSTs with 32 in flight through libcurl's multi API,
 * the same API Handoff's HTTPClient drives. Usage: curl_multi URL N. Prints requests/s. */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define IN_FLIGHT 32

static size_t discard(char *data, size_t size, size_t count, void *context) {
    (void)data; (void)context;
    return size * count;
}

int main(int argc, char **argv) {
    if (argc < 3) { fprintf(stderr, "usage: %s URL N\n", argv[0]); return 2; }
    const char *url = argv[1];
    long total = atol(argv[2]);
    char body[401];
    memset(body, 'a', 400);
    memcpy(body, "To=%2B14155552671&From=%2B15005550006&Body=", 44);
    body[400] = 0;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    CURLM *multi = curl_multi_init();
    struct curl_slist *headers = curl_slist_append(NULL, "Expect:");
    headers = curl_slist_append(headers, "Content-Type: application/x-www-form-urlencoded");
    long started = 0, finished = 0, failed = 0;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (; started < IN_FLIGHT && started < total; started++) {
        CURL *easy = curl_easy_init();
        curl_easy_setopt(easy, CURLOPT_URL, url);
        curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(easy, CURLOPT_HTTPHEADER, headers);
        curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE, 400L);
        curl_easy_setopt(easy, CURLOPT_COPYPOSTFIELDS, body);
        curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, discard);
        curl_multi_add_handle(multi, easy);
    }
    int running = 0;
    while (finished < total) {
        curl_multi_perform(multi, &running);
        CURLMsg *message;
        int left;
        while ((message = curl_multi_info_read(multi, &left))) {
            if (message->msg != CURLMSG_DONE) continue;
            CURL *easy = message->easy_handle;
            if (message->data.result != CURLE_OK) failed++;
            finished++;
            curl_multi_remove_handle(multi, easy);
            if (started < total) {
                /* A fresh request on the same handle: the multi handle's pool keeps the connection. */
                curl_easy_setopt(easy, CURLOPT_COPYPOSTFIELDS, body);
                curl_multi_add_handle(multi, easy);
                started++;
            } else {
                curl_easy_cleanup(easy);
            }
        }
        if (finished < total) curl_multi_poll(multi, NULL, 0, 1000, NULL);
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double seconds = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
    printf("%.0f\n", total / seconds);
    if (failed) fprintf(stderr, "%ld failed\n", failed);
    curl_multi_cleanup(multi);
    return failed ? 1 : 0;
}
