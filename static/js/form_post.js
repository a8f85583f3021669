// Sends the authorization response on to the application at once; without
// scripts the page's Continue button does the same.
document.getElementById("form-post-response").submit();
