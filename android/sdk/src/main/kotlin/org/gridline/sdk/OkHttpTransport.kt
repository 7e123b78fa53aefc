// The SDK's HTTP over OkHttp, so that the app's proxy, certificate pinning, interceptors and
// connection pool apply to Gridline's requests too. Written against the OkHttp 3.14 API (Debian's
// 3.13 jar compiles and tests it on Linux); see android/README.md for OkHttp 4 and 5.
package org.gridline.sdk

import java.io.IOException
import java.io.InterruptedIOException
import java.net.ConnectException
import java.net.NoRouteToHostException
import java.net.SocketTimeoutException
import java.net.UnknownHostException
import javax.net.ssl.SSLHandshakeException
import okhttp3.MediaType
import okhttp3.OkHttpClient
import okhttp3.Request
import okhttp3.RequestBody
import org.gridline.sdk.ffi.HttpHeader
import org.gridline.sdk.ffi.HttpRequest
import org.gridline.sdk.ffi.HttpResponse
import org.gridline.sdk.ffi.TransportException

/**
 * An [HttpTransport] over [client]. Redirects are switched off on a copy of [client] (an API
 * answer is never a redirect, and following one could carry the token elsewhere); time limits
 * are the client's own. Called by the SDK on its IO thread, so it blocks.
 */
class OkHttpTransport(client: OkHttpClient = OkHttpClient()) : HttpTransport {
    private val client: OkHttpClient = client.newBuilder().followRedirects(false).followSslRedirects(false).build()

    override fun send(request: HttpRequest): HttpResponse {
        val builder = Request.Builder().url(request.url)
        var contentType: MediaType? = null
        for (header in request.headers) {
            if (header.name.equals("Content-Type", ignoreCase = true)) {
                contentType = MediaType.parse(header.value)
            }
            builder.addHeader(header.name, header.value)
        }
        val body = if (request.method == "GET" || request.method == "HEAD") null else RequestBody.create(contentType, request.body)
        builder.method(request.method, body)
        val call = client.newCall(builder.build())
        var responded = false
        try {
            call.execute().use { response ->
                responded = true
                val headers = response.headers()
                val bytes = response.body()?.bytes() ?: ByteArray(0)
                return HttpResponse(
                    status = response.code().toUShort(),
                    headers = (0 until headers.size()).map { HttpHeader(headers.name(it), headers.value(it)) },
                    body = bytes,
                )
            }
        } catch (e: IOException) {
            throw classify(e, responded)
        }
    }

    /** Sort a failure into the SDK's three kinds; after the status line, any failure broke the exchange. */
    private fun classify(e: IOException, responded: Boolean): TransportException {
        val detail = e.javaClass.simpleName + (e.message?.let { ": $it" } ?: "")
        return when {
            e is SocketTimeoutException -> TransportException.Timeout(detail)
            responded -> TransportException.Interrupted(detail)
            e is ConnectException || e is UnknownHostException || e is NoRouteToHostException ||
                e is SSLHandshakeException -> TransportException.Unreachable(detail)
            e is InterruptedIOException -> TransportException.Timeout(detail)
            else -> TransportException.Interrupted(detail)
        }
    }
}
