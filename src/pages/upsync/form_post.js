// Sends an OAuth form_post answer on to the application (the page's form holds the code and
// state): an external module because the pages' Content-Security-Policy allows no inline script.
document.getElementById("form-post")?.submit();
