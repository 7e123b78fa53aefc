// Placeholder for the Gridline Android app (Jetpack Compose): reporting, task lists, offline
// patrol. It depends on :sdk for everything that touches the Rust core.
plugins {
    id("com.android.application")
    id("org.jetbrains.kotlin.android")
    id("org.jetbrains.kotlin.plugin.compose")
}

android {
    namespace = "org.gridline.app"
    compileSdk = 35

    defaultConfig {
        applicationId = "org.gridline.app"
        minSdk = 24
        targetSdk = 35
        versionCode = 1
        versionName = "0.1.0"
    }

    buildFeatures {
        compose = true
    }

    compileOptions {
        sourceCompatibility = JavaVersion.VERSION_17
        targetCompatibility = JavaVersion.VERSION_17
    }
}

dependencies {
    implementation(project(":sdk"))
}
