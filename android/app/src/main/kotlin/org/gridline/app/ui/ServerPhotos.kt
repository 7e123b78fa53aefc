// The server's photos on a case screen ("my reports", the field apps' case page), drawn from the
// core's PhotoView and PhotoViewer: a row of thumbnails from the files the core fetched and
// keeps (a placeholder while one is not on the phone), each opening the photo full size over the
// screen. Which photos show, their labels, and what went wrong opening one are the core's; the
// files are decoded off the main thread. Compiled by Android Studio only.
package org.gridline.app.ui

import android.graphics.BitmapFactory
import androidx.compose.foundation.Image
import androidx.compose.foundation.background
import androidx.compose.foundation.clickable
import androidx.compose.foundation.horizontalScroll
import androidx.compose.foundation.layout.Box
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.layout.size
import androidx.compose.foundation.rememberScrollState
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.Text
import androidx.compose.material3.TextButton
import androidx.compose.runtime.Composable
import androidx.compose.runtime.getValue
import androidx.compose.runtime.produceState
import androidx.compose.ui.Alignment
import androidx.compose.ui.Modifier
import androidx.compose.ui.graphics.ImageBitmap
import androidx.compose.ui.graphics.asImageBitmap
import androidx.compose.ui.layout.ContentScale
import androidx.compose.ui.semantics.contentDescription
import androidx.compose.ui.semantics.semantics
import androidx.compose.ui.unit.dp
import androidx.compose.ui.window.Dialog
import androidx.compose.ui.window.DialogProperties
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.withContext
import org.gridline.sdk.core.PhotoView
import org.gridline.sdk.core.PhotoViewer

/** A JPEG file decoded off the main thread; null while decoding, or when it cannot be read. */
@Composable
private fun decoded(path: String?): ImageBitmap? {
    val bitmap by produceState<ImageBitmap?>(null, path) {
        value = path?.let { withContext(Dispatchers.IO) { BitmapFactory.decodeFile(it)?.asImageBitmap() } }
    }
    return bitmap
}

/** The photos of one group (the report's, the fix's) under their label; nothing when empty. */
@Composable
fun ServerPhotoRow(label: String, photos: List<PhotoView>, onOpen: (String) -> Unit) {
    if (photos.isEmpty()) return
    Text(label, style = MaterialTheme.typography.titleSmall, modifier = Modifier.padding(top = 8.dp))
    Row(Modifier.horizontalScroll(rememberScrollState())) {
        for (photo in photos) {
            val bitmap = decoded(photo.thumbnailPath)
            Box(
                Modifier
                    .padding(end = 4.dp)
                    .size(96.dp)
                    .background(MaterialTheme.colorScheme.surfaceVariant)
                    .clickable(onClickLabel = photo.label) { onOpen(photo.id) }
                    .semantics { contentDescription = photo.label },
            ) {
                bitmap?.let { Image(it, contentDescription = null, contentScale = ContentScale.Crop, modifier = Modifier.fillMaxSize()) }
            }
        }
    }
}

/** The photo the core opened, full screen over the page, with the core's error when it could not be fetched. */
@Composable
fun ServerPhotoViewer(viewer: PhotoViewer?, onClose: () -> Unit) {
    viewer ?: return
    Dialog(onDismissRequest = onClose, properties = DialogProperties(usePlatformDefaultWidth = false)) {
        Column(Modifier.fillMaxSize().background(MaterialTheme.colorScheme.surface)) {
            TextButton(onClick = onClose) { Text(viewer.closeLabel) }
            Text(viewer.label, modifier = Modifier.padding(horizontal = 16.dp))
            viewer.error?.let { Text(it, color = MaterialTheme.colorScheme.error, modifier = Modifier.padding(16.dp)) }
            Box(Modifier.fillMaxWidth().weight(1f), contentAlignment = Alignment.Center) {
                decoded(viewer.path)?.let { Image(it, contentDescription = viewer.label, contentScale = ContentScale.Fit, modifier = Modifier.fillMaxSize()) }
            }
        }
    }
}
